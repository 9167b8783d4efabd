"""The web server command: ``python -m controlpanel.serve``.

One definition of how the product is served, used by ``make run`` (Procfile), production, the
benchmarks and the tests that start a real server.

The server is Granian (its HTTP layer is Rust and asynchronous) speaking ASGI to
``controlpanel.asgi``, which reads each request completely, headers and body, on the event
loop before handing it to Django, a WSGI application running in a fixed pool of threads. A
client that sends a byte every few seconds holds a socket, not one of the threads Django runs
on; those only ever wait on the application itself. Several worker processes share the
listening socket, so ``WEB_WORKERS`` of them serve at once.

Settings, from the environment (command-line flags win):

- ``HOST`` / ``PORT``: where to listen (``127.0.0.1:8000``).
- ``WEB_WORKERS``: worker processes (default: one per core this process may run on). Nothing
  correctness depends on is private to a process: sessions and tokens are database rows, the
  rate-limit counters live in Redis or, on the embedded default, in one shared SQLite file.
- ``WEB_THREADS``: threads per worker that run Django (default 8, read by
  ``controlpanel.asgi``).
- ``WEB_ACCESS_LOG``: ``true`` to print an access line per request (the API logs its own line
  whatever this says).

Any other Granian flag can be passed after the command, for example
``python -m controlpanel.serve --port 9000 --log-level warning``.

A worker that stops writes the request telemetry it has counted but not yet flushed (the
collector's ``atexit`` hook runs when Granian stops a worker with SIGTERM or SIGINT).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ASGI_TARGET = "controlpanel.asgi:application"
# A request whose headers have not arrived after this long is dropped (milliseconds).
HEADER_READ_TIMEOUT_MS = 10_000


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def command(extra: list[str] | None = None, *, environ: dict[str, str] | None = None) -> list[str]:
    """The argv that serves the product with the given environment's settings."""
    env = os.environ if environ is None else environ
    executable = Path(sys.executable).with_name("granian")
    binary = str(executable) if executable.exists() else (shutil.which("granian") or "granian")
    argv = [
        binary,
        "--interface", "asgi",
        "--host", env.get("HOST") or "127.0.0.1",
        "--port", env.get("PORT") or "8000",
        "--workers", env.get("WEB_WORKERS") or str(default_workers()),
        "--http", "1",
        "--no-ws",
        "--http1-header-read-timeout", str(HEADER_READ_TIMEOUT_MS),
        "--workers-kill-timeout", "10",
        "--respawn-failed-workers",
        "--log-level", "info",
    ]
    if _truthy(env.get("WEB_ACCESS_LOG")):
        argv.append("--access-log")
    argv.extend(extra or [])
    argv.append(ASGI_TARGET)
    return argv


def main() -> None:
    argv = command(sys.argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with the server, argv as built above


if __name__ == "__main__":
    main()

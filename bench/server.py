"""The product as production runs it, on 127.0.0.1, against the harness's own database.

* ``Shape`` builds a minimal, production-like environment (DEBUG off, generated SECRET_KEY and
  JWT_SIGNING_KEY, JSON renderer only — the settings add the browsable API only under DEBUG)
  for one storage shape, and resets its own storage: a SQLite file under ``/tmp/cp-bench/`` or
  the ``cp_bench`` PostgreSQL database plus a dedicated Redis db index.
* ``Server`` starts the product's web server as ``make run`` and production start it
  (``controlpanel.serve``: Granian, one worker process per core), waits for ``/healthz`` and
  stops it by its own pid. ``kind="gunicorn"`` starts the previous serving shape instead
  (gunicorn, one gthread worker with 8 threads), for the side-by-side serving comparison.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import PYTHON, ROOT, log

if str(ROOT) not in sys.path:  # controlpanel.serve: the product's own server command
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
BENCH_TMP = Path(os.environ.get("BENCH_TMP", "/tmp/cp-bench"))
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = os.environ.get("BENCH_PG_DB", "cp_bench")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "8"))

# Counts far above what a benchmark sends, so load is measured, not refused. The limit checks
# (and their cache round trips) still run on every request exactly as in production.
RATE_LIMIT_ENV = {
    "RATELIMIT_API_RATE": "100000000/h",
    "RATELIMIT_SEARCH_RATE": "100000000/m",
    "RATELIMIT_LOGIN_ADDRESS_RATE": "100000/h",
    "RATELIMIT_LOGIN_ACCOUNT_FAILURES": "100000/h",
    "RATELIMIT_REGISTER_ADDRESS_RATE": "100000/h",
}
PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME")


class Shape:
    def __init__(self, name: str) -> None:
        if name not in ("sqlite", "postgres"):
            raise ValueError(f"unknown shape {name!r}")
        self.name = name
        self.var_dir = BENCH_TMP / name
        self.secret_key = secrets.token_urlsafe(50)
        self.jwt_key = secrets.token_urlsafe(50)

    @property
    def label(self) -> str:
        return "SQLite (embedded default)" if self.name == "sqlite" else "PostgreSQL + Redis"

    @property
    def database_url(self) -> str:
        return f"{PG_BASE}/{PG_DB}"

    @property
    def redis_url(self) -> str:
        return f"{REDIS_BASE}/{REDIS_DB}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: os.environ[k] for k in PASS_THROUGH if k in os.environ}
        env.update({
            "DJANGO_SETTINGS_MODULE": "controlpanel.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
            "DEBUG": "false",
            "SECRET_KEY": self.secret_key,
            "JWT_SIGNING_KEY": self.jwt_key,
            "CONTROLPANEL_VAR_DIR": str(self.var_dir),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            # a benchmark run lasts minutes; the default 15-minute access token could expire mid-run
            "ACCESS_TOKEN_MINUTES": "120",
            **RATE_LIMIT_ENV,
        })
        if self.name == "postgres":
            env["DATABASE_URL"] = self.database_url
            env["REDIS_URL"] = self.redis_url
        env.update(extra)
        return env

    def reset(self) -> None:
        """Fresh storage: the harness never touches a database it did not create."""
        if self.var_dir.exists():
            shutil.rmtree(self.var_dir)
        self.var_dir.mkdir(parents=True)
        if self.name == "postgres":
            import psycopg
            import redis

            with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{PG_DB}"')
            redis.Redis.from_url(self.redis_url).flushdb()

    def flush_cache(self) -> None:
        if self.name == "postgres":
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()


def manage(shape: Shape, *args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    cmd = [PYTHON, str(ROOT / "manage.py"), *args]
    result = subprocess.run(cmd, cwd=ROOT, env=env or shape.env(), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


def django_side(shape: Shape, *args: str, env: dict | None = None, timeout: float = 900) -> str:
    """Run ``bench/djangoside.py`` (the ORM-side helpers) in the shape's environment; its stdout."""
    cmd = [PYTHON, str(ROOT / "bench" / "djangoside.py"), *args]
    result = subprocess.run(cmd, cwd=ROOT, env=env or shape.env(), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"djangoside {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


def available_commands(shape: Shape) -> set[str]:
    out = manage(shape, "help", "--commands").stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


GUNICORN_GTHREAD = ["gunicorn", "controlpanel.wsgi", "--worker-class", "gthread", "--graceful-timeout", "10"]


class Server:
    """One web server (its main process and worker processes) on 127.0.0.1:port."""

    def __init__(self, shape: Shape, port: int, *, name: str = "web", env_extra: dict | None = None,
                 workers: int | None = None, threads: int | None = None, access_log: bool = False,
                 kind: str = "granian") -> None:
        if kind not in ("granian", "gunicorn"):
            raise ValueError(f"unknown server kind {kind!r}")
        self.shape = shape
        self.port = port
        self.name = name
        self.kind = kind
        self.env = shape.env(**(env_extra or {}), **({"WEB_THREADS": str(threads)} if threads else {}))
        self.workers = workers
        self.threads = threads
        self.access_log = access_log
        self.proc: subprocess.Popen | None = None
        self.log_path = shape.var_dir / f"{kind}-{name}-{port}.log"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def expected_workers(self) -> int:
        if self.workers:
            return self.workers
        if self.kind == "gunicorn":
            return 1
        from controlpanel.serve import default_workers

        return default_workers()

    def argv(self) -> list[str]:
        if self.kind == "gunicorn":
            return [str(ROOT / ".venv" / "bin" / GUNICORN_GTHREAD[0]), *GUNICORN_GTHREAD[1:],
                    "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers or 1),
                    "--threads", str(self.threads or 8), *(["--access-logfile", "-"] if self.access_log else [])]
        from controlpanel.serve import command

        env = {"HOST": HOST, "PORT": str(self.port), "WEB_ACCESS_LOG": "true" if self.access_log else "false"}
        if self.workers:
            env["WEB_WORKERS"] = str(self.workers)
        return command(["--log-level", "warning"], environ=env)

    def command(self) -> str:
        return " ".join(self.argv())

    def start(self, timeout: float = 60) -> None:
        log(f"starting {self.name}: {self.command()}")
        self.log_fh = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv(), cwd=ROOT, env=self.env,
                                     stdout=self.log_fh, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as resp:
                    if resp.status == 200 and len(self.worker_pids()) >= self.expected_workers:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer /healthz within {timeout:.0f}s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            return [p.pid for p in psutil.Process(self.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def worker_rss(self) -> dict[int, int]:
        import psutil

        out = {}
        for pid in self.worker_pids():
            try:
                out[pid] = psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return out

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # graceful shutdown of the main process and its workers
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)  # its own session: only what this harness started
            self.proc.wait(timeout=5)
        self.log_fh.close()

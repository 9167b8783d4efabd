"""The application as the web server runs it (``python -m controlpanel.serve``).

Granian speaks ASGI to this module. Every request is read in full, headers by Granian and the
body here, on the event loop, before Django sees it; Django then runs as the WSGI application
it is, in a fixed pool of ``WEB_THREADS`` threads per process (a2wsgi's ``WSGIMiddleware``).
A client that sends its request slowly therefore holds a socket and a few bytes of buffer,
never one of the threads, so slow or stalled clients cannot starve the application.

When Granian stops a worker it sends the ASGI lifespan shutdown; the worker then writes the
request telemetry it has counted but not flushed, before it exits.

A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own limit, 2.5 MB by default) is
refused with 413 in the API's error envelope as soon as it is announced or exceeded, so nothing
of that size is held in memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from controlpanel.wsgi import application as django_wsgi  # noqa: E402 - also starts this process's host sampler

DEFAULT_THREADS = 8

threads = WSGIMiddleware(django_wsgi, workers=int(os.environ.get("WEB_THREADS") or DEFAULT_THREADS))


def body_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)


async def too_large(send) -> None:
    body = json.dumps({
        "code": "request_too_large",
        "message": "The request body is larger than this server accepts.",
        "details": {"max_bytes": body_limit()},
    }).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", uuid.uuid4().hex.encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


def announced_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def flush_telemetry() -> None:
    from telemetry.collector import collector

    collector.flush_at_exit()


async def lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            # the flush writes to the database: in a thread, as all of Django's work here
            await asyncio.get_running_loop().run_in_executor(None, flush_telemetry)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send) -> None:
    """Read the whole request body, then hand the request to a Django thread."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    if scope["type"] != "http":
        await threads(scope, receive, send)
        return
    limit = body_limit()
    length = announced_length(scope)
    if length is not None and length > limit:
        await too_large(send)
        return
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away before finishing
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            await too_large(send)
            return
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replay():
        if pending:
            return pending.pop()
        return await receive()  # after the body: only a disconnect can come

    await threads(scope, replay, send)

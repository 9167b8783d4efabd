"""Slow clients cannot starve the web server.

The documented web command (``python -m controlpanel.serve``: one worker, 8 Django threads) is
started for real. 50 connections are held open, each sending its request a byte every second:
half dribble their headers, half send complete headers and then dribble a JSON body. While all
of them are still open, ``/healthz`` and an authenticated ``GET progress/`` must each answer
within a second, every time. A server whose threads read requests themselves (one thread per
slow connection) stops answering after 8 such connections.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from tests.reliability import figures, harness

pytestmark = pytest.mark.slow

SLOW_CONNECTIONS = 50
PROBES = 5
DEADLINE_SECONDS = 1.0


class SlowClient(threading.Thread):
    """One connection that sends its request one byte a second until told to stop."""

    def __init__(self, port: int, index: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.sent = port, stop, 0
        if index % 2:
            # complete headers, then a body that never finishes arriving
            self.opening = (b"POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n")
            self.dribble = b'{"username": "' + b"s" * 4000
        else:
            self.opening = b""
            self.dribble = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 4000
        self.connected = threading.Event()
        self.open_at_end = False

    def run(self) -> None:
        with socket.create_connection((harness.LOOPBACK, self.port), timeout=30) as sock:
            if self.opening:
                sock.sendall(self.opening)
            self.connected.set()
            for byte in self.dribble:
                if self.stop.wait(1.0):
                    break
                try:
                    sock.send(bytes([byte]))
                    self.sent += 1
                except OSError:
                    return
            self.open_at_end = True


def probe(url: str, **kwargs) -> tuple[int | str, float]:
    started = time.perf_counter()
    try:
        status: int | str = requests.get(url, timeout=5, **kwargs).status_code
    except requests.RequestException as exc:
        status = type(exc).__name__
    return status, time.perf_counter() - started


def test_fifty_slow_connections_do_not_delay_health_or_an_authenticated_read(tmp_path):
    env = harness.product_env(CONTROLPANEL_VAR_DIR=str(tmp_path / "var"))
    harness.manage(env, "migrate", "--noinput", "-v0")
    harness.manage(env, "load_lessons")
    with harness.AppServer(env, tmp_path, threads=8, workers=1) as server:
        learner = harness.register(server.url, "patient")
        stop = threading.Event()
        clients = [SlowClient(server.port, index, stop) for index in range(SLOW_CONNECTIONS)]
        try:
            for client in clients:
                client.start()
            assert all(client.connected.wait(10) for client in clients)
            time.sleep(3)  # every slow request is now partly sent and waiting on its client
            results = []
            for _ in range(PROBES):
                results.append(("healthz", *probe(f"{server.url}/healthz")))
                results.append(("progress", *probe(f"{server.url}/api/v1/progress/",
                                                   headers=harness.bearer(learner["access"]))))
                time.sleep(0.5)
            still_sending = sum(client.is_alive() for client in clients)
            # A body over Django's upload limit is refused as soon as it is announced, unread.
            with socket.create_connection((harness.LOOPBACK, server.port), timeout=10) as sock:
                sock.sendall(b"POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{")
                answer = sock.recv(65536).decode()
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=10)
    slowest = max(seconds for _, _, seconds in results)
    figures.note("slow clients", f"{SLOW_CONNECTIONS} slow connections held open ({still_sending} still sending at the "
                 f"end): {len(results)} probes of /healthz and progress/, slowest {slowest * 1000:.0f} ms, "
                 f"statuses {sorted({str(status) for _, status, _ in results})}")
    assert still_sending == SLOW_CONNECTIONS, "the slow connections must still be open while the probes run"
    assert all(status == 200 for _, status, _ in results), results
    assert slowest < DEADLINE_SECONDS, results
    assert answer.startswith("HTTP/1.1 413"), answer
    assert '"code": "request_too_large"' in answer and '"max_bytes": 2621440' in answer, answer

"""Load generation: Debian's ``wrk`` (installed when missing and allowed), else a small Python client.

Every run is bounded in time and goes to 127.0.0.1 only. Headers (the bearer token) and the
request body reach wrk through a Lua script written with mode 0600, never on its command line;
the script's ``done`` hook prints wrk's own latency percentiles as one JSON line.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlsplit

from common import CORES, CpuWindow, log, process_cpu_seconds

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""


def _lua_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def ensure_wrk(allow_install: bool = True) -> str | None:
    """Path to wrk; installs Debian's package when missing and running as root."""
    path = shutil.which("wrk")
    if path or not allow_install:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk missing: installing Debian's wrk package")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        log("wrk unavailable: falling back to the Python client (it costs far more CPU; see its share)")
    return path


class Request:
    """One request shape: method, path, headers, body."""

    def __init__(self, path: str, *, method: str = "GET", headers: dict | None = None, body: str = "") -> None:
        self.path = path
        self.method = method
        self.headers = dict(headers or {})
        self.body = body

    def lua(self) -> str:
        lines = [f"wrk.method = {_lua_string(self.method)}", f"wrk.path = {_lua_string(self.path)}"]
        for name, value in self.headers.items():
            lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
        if self.body:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        return "\n".join(lines) + "\n" + LUA_DONE


def fetch(base: str, req: Request, timeout: float = 30) -> tuple[int, dict, bytes, float]:
    """One request: (status, headers, body, seconds)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(req.method, req.path, body=req.body.encode() if req.body else None, headers=req.headers)
        resp = conn.getresponse()
        body = resp.read()
        elapsed = time.perf_counter() - started
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, elapsed
    finally:
        conn.close()


def run_load(base: str, req: Request, *, connections: int, duration: float, wrk: str | None,
             server_pids: list[int], label: str = "") -> dict:
    """A bounded run at ``connections``; requests/s, p50/p99, errors and who used the CPU."""
    if wrk:
        result = _run_wrk(wrk, base, req, connections=connections, duration=duration, server_pids=server_pids)
    else:
        result = _run_python(base, req, connections=connections, duration=duration, server_pids=server_pids)
    result.update(label=label or req.path, connections=connections, path=req.path, method=req.method)
    return result


def _server_cpu(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) for pid in pids)


def _run_wrk(wrk: str, base: str, req: Request, *, connections: int, duration: float, server_pids: list[int]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        os.chmod(fh.name, 0o600)
        fh.write(req.lua())
        script = fh.name
    try:
        cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "5s",
               "-s", script, base + req.path]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_before = _server_cpu(server_pids)
        window = CpuWindow({})
        started = time.monotonic()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
        wall = time.monotonic() - started
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = window.stop(wall)
        server_used = _server_cpu(server_pids) - server_before
    finally:
        os.unlink(script)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    data = json.loads(line.removeprefix("BENCHJSON "))
    wrk_seconds = (children_after.ru_utime + children_after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    seconds = data["duration_us"] / 1e6
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    return {
        "tool": "wrk",
        "requests": data["requests"],
        "seconds": round(seconds, 3),
        "rps": data["requests"] / seconds if seconds else 0.0,
        "p50_ms": data["p50_us"] / 1000,
        "p90_ms": data["p90_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "mean_ms": data["mean_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": errors,
        "error_detail": {k: data[k] for k in ("connect", "read", "write", "status", "timeout") if data[k]},
        "bytes": data["bytes"],
        "wrk_cpu": round(wrk_seconds / max(1e-6, wall * CORES), 3),
        "server_cpu": round(server_used / max(1e-6, wall * CORES), 3),
        "server_cpu_ms_per_request": round(1000 * server_used / data["requests"], 3) if data["requests"] else None,
        "machine_busy": cpu["machine_busy"],
    }


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def _run_python(base: str, req: Request, *, connections: int, duration: float, server_pids: list[int]) -> dict:
    """Fallback client: one keep-alive connection per thread, bounded by ``duration``."""
    parts = urlsplit(base)
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    deadline = time.monotonic() + duration
    body = req.body.encode() if req.body else None

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=body, headers=req.headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status >= 400:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
                continue
            latencies[i].append((time.perf_counter() - started) * 1000)
        conn.close()

    own_before = process_cpu_seconds(os.getpid())
    server_before = _server_cpu(server_pids)
    window = CpuWindow({})
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    cpu = window.stop(wall)
    server_used = _server_cpu(server_pids) - server_before
    all_lat = sorted(x for chunk in latencies for x in chunk)
    return {
        "tool": "python",
        "requests": len(all_lat),
        "seconds": round(wall, 3),
        "rps": len(all_lat) / wall if wall else 0.0,
        "p50_ms": _percentile(all_lat, 50),
        "p90_ms": _percentile(all_lat, 90),
        "p99_ms": _percentile(all_lat, 99),
        "mean_ms": sum(all_lat) / len(all_lat) if all_lat else 0.0,
        "max_ms": all_lat[-1] if all_lat else 0.0,
        "errors": sum(errors),
        "error_detail": {},
        "bytes": None,
        "wrk_cpu": round((process_cpu_seconds(os.getpid()) - own_before) / max(1e-6, wall * CORES), 3),
        "server_cpu": round(server_used / max(1e-6, wall * CORES), 3),
        "server_cpu_ms_per_request": round(1000 * server_used / len(all_lat), 3) if all_lat else None,
        "machine_busy": cpu["machine_busy"],
    }


def alternate(base: str, first: Request, second: Request, n: int) -> tuple[list[float], list[float], int]:
    """``n`` timed requests of each, alternating A B B A …, after 5 untimed warm-ups of each."""
    parts = urlsplit(base)
    conns = [http.client.HTTPConnection(parts.hostname, parts.port, timeout=30) for _ in range(2)]
    times: tuple[list[float], list[float]] = ([], [])
    errors = 0
    try:
        for i in range(n + 5):
            for which in ((0, 1) if i % 2 == 0 else (1, 0)):
                req = (first, second)[which]
                started = time.perf_counter()
                conns[which].request(req.method, req.path, headers=req.headers)
                resp = conns[which].getresponse()
                resp.read()
                elapsed = (time.perf_counter() - started) * 1000
                if resp.status >= 400:
                    errors += 1
                if i >= 5:
                    times[which].append(elapsed)
    finally:
        for conn in conns:
            conn.close()
    return times[0], times[1], errors

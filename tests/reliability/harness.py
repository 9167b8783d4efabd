"""Real processes for the system-level suites: Redis, PostgreSQL, app servers, Celery, traffic.

Every server here is one the suite starts itself, on a spare loopback port, in a temporary
directory; it is stopped by the same code that started it (context managers and ``finally``),
so the machine's own PostgreSQL and Redis are never touched. Nothing here talks to anything
but 127.0.0.1.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from controlpanel.serve import command as serve_command

BASE_DIR = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition") -> float:
    """Poll ``predicate`` until it is true; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception:  # the thing being waited for is still down
            pass
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _stop(process: subprocess.Popen | None, *, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


# Redis ---------------------------------------------------------------------------------------

class RedisServer:
    """A private redis-server (no persistence) that can be stopped and started on the same port."""

    def __init__(self, workdir: Path, name: str = "redis"):
        self.port = free_port()
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "redis.log"
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def ping(self) -> bool:
        import redis

        return bool(redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5).ping())

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=20, what=f"redis on {self.port}")

    def stop(self) -> None:
        _stop(self.process)
        self.process = None


# PostgreSQL ----------------------------------------------------------------------------------

def _postgres_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise AssertionError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return Path(candidates[-1]).parent


class PostgresServer:
    """A private PostgreSQL cluster (initdb in a temporary directory, trust auth, loopback only).

    PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
    """

    def __init__(self, workdir: Path):
        self.bin = _postgres_bin()
        self.port = free_port()
        self.dir = workdir / "postgres"
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._as_other = os.geteuid() == 0
        if self._as_other:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(workdir, 0o755)

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_other:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=timeout, cwd="/")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses={LOOPBACK} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def create_database(self, name: str) -> None:
        subprocess.run(["psql", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True, timeout=60)

    def query(self, database: str, sql: str) -> str:
        return subprocess.run(
            ["psql", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", "-d", database, "-tAc", sql],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout.strip()

    def url(self, database: str) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/{database}"


# The product's processes ---------------------------------------------------------------------

def product_env(**overrides: str) -> dict[str, str]:
    """Environment for a production-like process: real settings, DEBUG off, cheap bcrypt."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH",
                        "CELERY_TASK_ALWAYS_EAGER", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "controlpanel.settings",
        "CONTROLPANEL_TESTING": "true",
        "DEBUG": "false",
        "BCRYPT_ROUNDS": "4",
        "TELEMETRY_BACKGROUND_FLUSH": "true",  # as in production (tests switch it off in-process)
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


class AppServer:
    """The product's web server (``controlpanel.serve``) as production runs it, DEBUG off."""

    def __init__(self, env: dict[str, str], logdir: Path, *, threads: int = 8, workers: int = 1, name: str = "app"):
        self.env, self.threads, self.workers, self.port = env, threads, workers, free_port()
        self.log = logdir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                serve_command(["--host", LOOPBACK, "--port", str(self.port), "--workers", str(self.workers),
                               "--log-level", "warning"], environ={}),
                cwd=BASE_DIR, env={**self.env, "WEB_THREADS": str(self.threads)}, stdout=log, stderr=log,
            )

        def up() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError("exited")
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200

        try:
            wait_for(up, timeout=60, what=f"app server on {self.port}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{_tail(self.log)}") from None

    def stop(self) -> None:
        _stop(self.process)

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class CeleryProcess:
    """A Celery worker or beat of the product, its output in a log file."""

    def __init__(self, env: dict[str, str], logdir: Path, kind: str, *, name: str | None = None, concurrency: int = 1):
        self.env, self.kind, self.concurrency = env, kind, concurrency
        self.name = name or kind
        self.log = logdir / f"{self.name}.log"
        self.schedule = logdir / f"{self.name}-schedule"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.kind == "worker":
            args = ["worker", "--loglevel", "INFO", "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle",
                    "--hostname", f"{self.name}@%h"]
        else:
            args = ["beat", "--loglevel", "INFO", "--schedule", str(self.schedule)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(BIN / "celery"), "-A", "controlpanel", *args], cwd=BASE_DIR,
                                            env=self.env, stdout=log, stderr=log)
        marker = "ready." if self.kind == "worker" else "beat: Starting"
        try:
            wait_for(lambda: marker in _tail(self.log, 200000), timeout=60, what=f"celery {self.name}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{_tail(self.log)}") from None

    def output(self) -> str:
        return _tail(self.log, 10_000_000)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        _stop(self.process, sig=sig)

    def __enter__(self) -> CeleryProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Stack:
    """A private PostgreSQL + Redis (cache) + Redis (broker) with the product migrated onto it."""

    workdir: Path
    postgres: PostgresServer
    redis: RedisServer
    broker: RedisServer
    database: str = "controlpanel"

    def env(self, **overrides: str) -> dict[str, str]:
        return product_env(
            DATABASE_URL=self.postgres.url(self.database),
            DATABASE_CONN_MAX_AGE="60",
            REDIS_URL=self.redis.url(0),
            CELERY_BROKER_URL=self.broker.url(0),
            CONTROLPANEL_VAR_DIR=str(self.workdir / "var"),
            CACHE_KEY_PREFIX=f"cp{uuid.uuid4().hex[:6]}",
            **overrides,
        )

    def sql(self, query: str) -> str:
        return self.postgres.query(self.database, query)


def start_stack(workdir: Path) -> Stack:
    stack = Stack(workdir, PostgresServer(workdir), RedisServer(workdir, "redis"), RedisServer(workdir, "broker"))
    try:
        stack.redis.start()
        stack.broker.start()
        stack.postgres.init()
        stack.postgres.start()
        stack.postgres.create_database(stack.database)
        env = stack.env()
        manage(env, "migrate", "--noinput", "-v0")
        if "load_lessons" in manage(env, "help", "--commands"):
            manage(env, "load_lessons")
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: Stack) -> None:
    for server in (stack.redis, stack.broker):
        server.stop()
    if stack.postgres.data.exists():
        stack.postgres.stop("immediate")


def make_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"cp-{prefix}-"))


# Talking to a server -------------------------------------------------------------------------

def register(base_url: str, name: str, password: str = "crazy-diamonds-practice-42") -> dict:
    response = requests.post(f"{base_url}/api/v1/auth/register/",
                             json={"username": name, "email": f"{name}@example.com", "password": password}, timeout=30)
    assert response.status_code == 201, response.text
    body = response.json()
    return {"username": name, "password": password, "id": body["user"]["id"], **body["tokens"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def is_envelope(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and {"code", "message", "details"} <= set(body)


# Traffic -------------------------------------------------------------------------------------

@dataclass
class Outcome:
    at: float
    action: str
    status: int  # 0 when the connection itself failed
    seconds: float
    envelope: bool
    marker: str | None = None


@dataclass
class Traffic:
    """Learners calling the API from several threads until stopped; every outcome is kept.

    ``actions`` maps a name to ``fn(session, base_url, learner, n) -> (response, marker)``;
    ``marker`` names a write whose 2xx the caller can look for afterwards (lost-write count).
    """

    base_urls: list[str]
    learners: list[dict]
    actions: dict
    threads: int = 4
    pause: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self, index: int) -> None:
        session = requests.Session()
        names = sorted(self.actions)
        n = 0
        while not self._stop.is_set():
            action = names[(n + index) % len(names)]
            learner = self.learners[(n + index) % len(self.learners)]
            base_url = self.base_urls[(n + index) % len(self.base_urls)]
            started = time.monotonic()
            try:
                response, marker = self.actions[action](session, base_url, learner, f"{index}-{n}")
                outcome = Outcome(started, action, response.status_code, time.monotonic() - started,
                                  response.status_code < 400 or is_envelope(response), marker)
            except requests.RequestException:
                outcome = Outcome(started, action, 0, time.monotonic() - started, False)
                session = requests.Session()
                time.sleep(0.05)
            with self._lock:
                self.outcomes.append(outcome)
            n += 1
            if self.pause:
                time.sleep(self.pause)

    def __enter__(self) -> Traffic:
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    # figures
    def statuses(self, action: str | None = None) -> Counter:
        return Counter(o.status for o in self.outcomes if action is None or o.action == action)

    def server_errors(self) -> list[Outcome]:
        """Unhandled failures: any 500, a 5xx without the envelope, or a dropped connection."""
        return [o for o in self.outcomes if o.status == 0 or o.status == 500 or (o.status >= 500 and not o.envelope)]

    def acknowledged(self) -> set[str]:
        return {o.marker for o in self.outcomes if o.marker and 200 <= o.status < 300}

    def first_success_after(self, moment: float, action: str | None = None) -> float | None:
        times = [o.at + o.seconds for o in self.outcomes
                 if o.at >= moment and 200 <= o.status < 300 and (action is None or o.action == action)]
        return min(times) - moment if times else None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

"""Helpers for suites that start real app servers and workers against the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

BIN = Path(sys.executable).parent
BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(var_dir: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "controlpanel.settings",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "CONTROLPANEL_TESTING": "true",
        "CONTROLPANEL_VAR_DIR": str(var_dir),
        "CACHE_KEY_PREFIX": f"cptest{os.getpid()}",
        "BCRYPT_ROUNDS": "4",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "INFO",
        "DEBUG": "false",
    })
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 - closed with the process by stop()
    process = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT,
                               start_new_session=True)
    process.log_handle = handle
    return process


def wait_http(url: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen, *, sig=signal.SIGTERM, timeout: float = 30.0) -> int | None:
    """Signal the process group, wait, and kill it if it does not go."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    process.log_handle.close()
    return process.returncode

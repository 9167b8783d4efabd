"""Fixtures for the reliability suites: a private PostgreSQL + Redis stack, started once."""

import shutil

import pytest

from tests.conftest import ON_POSTGRES, ON_REDIS
from tests.reliability import harness


@pytest.fixture(scope="session")
def stack():
    """Our own PostgreSQL and two Redis servers (cache, broker) on spare ports, product migrated.

    Only these are ever stopped or restarted by the fault suites; the machine's servers are not.
    """
    workdir = harness.make_workdir("stack")
    try:
        started = harness.start_stack(workdir)
        try:
            yield started
        finally:
            harness.stop_stack(started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def logdir(tmp_path):
    return tmp_path


@pytest.fixture
def product_server(request, logdir):
    """Start an app server on this run's storage shape: ``product_server(**env) -> AppServer``.

    On the PostgreSQL + Redis pass it runs on our own stack; on the embedded pass on a fresh
    SQLite file with a local-memory cache. Stopped when the test ends.
    """
    started = []

    def start(**overrides):
        if ON_POSTGRES and ON_REDIS:
            env = request.getfixturevalue("stack").env(**overrides)
            shape = "PostgreSQL + Redis"
        else:
            env = harness.product_env(CONTROLPANEL_VAR_DIR=str(logdir / "var"), **overrides)
            harness.manage(env, "migrate", "--noinput", "-v0")
            if "load_lessons" in harness.manage(env, "help", "--commands"):
                harness.manage(env, "load_lessons")
            shape = "SQLite"
        server = harness.AppServer(env, logdir, threads=8)
        server.shape = shape
        server.start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()

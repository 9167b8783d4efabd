"""Fixtures for the telemetry suites."""

import pytest

from telemetry.collector import collector


@pytest.fixture(autouse=True)
def _empty_collector():
    """Each test starts with nothing aggregated (other suites' requests are recorded too)."""
    collector.reset()
    yield
    collector.reset()

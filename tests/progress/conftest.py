"""Fixtures for the progress suites (the real catalog fixture is shared with the lessons suites)."""

from tests.lessons.conftest import catalog  # noqa: F401

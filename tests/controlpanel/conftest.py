"""Fixtures for the cross-app plumbing suites."""

from tests.accounts import tally


def pytest_terminal_summary(terminalreporter):
    tally.print_summary(terminalreporter)

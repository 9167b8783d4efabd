"""Suite figures ("N tried, N failed") gathered while the tests run, printed once at the end.

SECURITY.md asks every security suite to report how many cases it tried and how many failed.
Tests call :func:`record`; the ``pytest_terminal_summary`` hook in ``tests/accounts/conftest.py``
and ``tests/controlpanel/conftest.py`` prints the table (once, whichever conftest runs).
"""

from collections import defaultdict

_FIGURES: dict[str, list[int]] = defaultdict(lambda: [0, 0])
_printed = False


def record(suite: str, *, tried: int, failed: int) -> str:
    """Add one test's figures to ``suite``; returns the test's own "N tried, N failed"."""
    figures = _FIGURES[suite]
    figures[0] += tried
    figures[1] += failed
    return f"{suite}: {tried} tried, {failed} failed"


def print_summary(terminalreporter) -> None:
    global _printed
    if _printed or not _FIGURES:
        return
    _printed = True
    terminalreporter.section("security suites")
    for suite, (tried, failed) in sorted(_FIGURES.items()):
        terminalreporter.write_line(f"{suite} -- {tried} tried, {failed} failed")

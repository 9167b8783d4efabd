"""Suite figures ("N tried, N failed") gathered while the tests run, printed once at the end.

docs/security.md asks every security suite to report how many cases it tried and how many failed.
Tests call :func:`record`; the ``pytest_terminal_summary`` hook in ``tests/conftest.py`` prints
the table once. Under pytest-xdist each worker hands its figures to the controller when it
finishes (``export``/``merge``), so the table counts every worker's cases.
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


def export() -> dict[str, list[int]]:
    """This process's figures, for a parallel worker to hand to the controller."""
    return {suite: list(figures) for suite, figures in _FIGURES.items()}


def merge(figures: dict[str, list[int]]) -> None:
    """Add a worker's figures (see ``tests/conftest.py``)."""
    for suite, (tried, failed) in figures.items():
        record(suite, tried=tried, failed=failed)


def print_summary(terminalreporter) -> None:
    global _printed
    if _printed or not _FIGURES:
        return
    _printed = True
    terminalreporter.section("security suites")
    for suite, (tried, failed) in sorted(_FIGURES.items()):
        terminalreporter.write_line(f"{suite} -- {tried} tried, {failed} failed")

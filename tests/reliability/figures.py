"""Figures the system suites measure (recovery times, latencies), printed after the run.

Suites add a line with :func:`note`; ``tests/conftest.py``'s ``pytest_terminal_summary`` prints
them under "reliability figures" so a run's output carries the numbers RELIABILITY.md quotes
(parallel workers hand theirs to the controller, like the tally).
"""

_NOTES: list[tuple[str, str]] = []


def note(suite: str, text: str) -> None:
    _NOTES.append((suite, text))


def export() -> list[tuple[str, str]]:
    return list(_NOTES)


def merge(notes: list) -> None:
    _NOTES.extend((suite, text) for suite, text in notes)


def print_notes(terminalreporter) -> None:
    if not _NOTES:
        return
    terminalreporter.section("reliability figures")
    for suite, text in _NOTES:
        terminalreporter.write_line(f"{suite}: {text}")

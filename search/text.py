"""Text handling shared by both search modes: query cleaning, words, document tokens, snippets.

One tokeniser serves the index, the query and the highlighter, so the two modes cannot
disagree about what a word is: a *word* is a maximal run of Unicode letters and digits
(``[^\\W_]+``), lower-cased with :meth:`str.lower`. Everything else (punctuation, quotes,
``*``, parentheses, emoji, spaces) separates words and is never passed to a full-text engine
as syntax.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from html import escape

WORD_RE = re.compile(r"[^\W_]+")
QUERY_MAX_LENGTH = 200
# Raw input longer than this is refused before any work is done on it.
RAW_QUERY_MAX_LENGTH = 2000
# More words than this add nothing a learner means; the rest are ignored by both modes alike.
MAX_QUERY_WORDS = 12
# Indexed words are cut to this length (a query word is at most 200 characters).
MAX_TOKEN_LENGTH = 255
SNIPPET_CHARS = 180

_SPACE_CONTROLS = {"\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u2028", "\u2029"}
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_MARKS = re.compile(r"(^|\s)(#{1,6}|>|[-*+]|\d+\.)\s+|[*_`~]+", re.M)
_SPACES = re.compile(r"\s+")


class QueryError(ValueError):
    """The query is empty or too long once cleaned."""


class CleanQuery(str):
    """Search text that has been through :func:`clean_query`; cleaning it again returns it as is.

    The API's query field cleans the text when it validates the request, and the search
    service, which pages and tasks call with raw text too, accepts either: a request is
    cleaned once.
    """


def clean_query(raw: str) -> CleanQuery:
    """Trim, drop control and format characters, collapse whitespace; 1–200 characters or QueryError."""
    if isinstance(raw, CleanQuery):
        return raw
    if raw is None:
        raise QueryError("Enter something to search for.")
    if len(raw) > RAW_QUERY_MAX_LENGTH:
        raise QueryError(f"Search text can be at most {QUERY_MAX_LENGTH} characters.")
    chars = []
    for char in raw:
        if char in _SPACE_CONTROLS:
            chars.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            chars.append(char)
    query = _SPACES.sub(" ", "".join(chars)).strip()
    if not query:
        raise QueryError("Enter something to search for.")
    if len(query) > QUERY_MAX_LENGTH:
        raise QueryError(f"Search text can be at most {QUERY_MAX_LENGTH} characters.")
    return CleanQuery(query)


def query_words(query: str) -> tuple[str, ...]:
    """The distinct lower-case words of ``query`` in order, at most MAX_QUERY_WORDS."""
    seen: dict[str, None] = {}
    for word in WORD_RE.findall(query.lower()):
        seen.setdefault(word, None)
        if len(seen) == MAX_QUERY_WORDS:
            break
    return tuple(seen)


def tokens(text: str) -> list[str]:
    """The index tokens of ``text``: its lower-case words, each cut to MAX_TOKEN_LENGTH."""
    return [word[:MAX_TOKEN_LENGTH] for word in WORD_RE.findall(text.lower())]


def normalized(text: str) -> str:
    """``text`` as the index stores it: its tokens joined by single spaces."""
    return " ".join(tokens(text))


def markdown_text(markdown: str) -> str:
    """Readable text of (part of) a lesson body for snippets: links become their text, marks go."""
    text = _MARKDOWN_LINK.sub(_first_group, markdown) if "](" in markdown else markdown
    text = _MARKDOWN_MARKS.sub(_first_group_or_empty, text)
    return _SPACES.sub(" ", text).strip()


def _first_group(match: re.Match) -> str:
    return match.group(1)


def _first_group_or_empty(match: re.Match) -> str:
    return match.group(1) or ""


@functools.lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern | None:
    if not words:
        return None
    alternatives = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in alternatives), re.IGNORECASE)


def highlight(text: str, words: tuple[str, ...]) -> str:
    """``text`` HTML-escaped, with every occurrence of a query word wrapped in ``<mark>``."""
    pattern = _pattern(words)
    if pattern is None:
        return escape(text)
    spans: list[list[int]] = []
    for match in pattern.finditer(text):
        if spans and spans[-1][1] == match.start():  # adjacent matches share one mark
            spans[-1][1] = match.end()
        else:
            spans.append([match.start(), match.end()])
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(fields: list[str], words: tuple[str, ...], length: int = SNIPPET_CHARS, *, cut: bool = False) -> str:
    """A highlighted window of about ``length`` characters from the first field that contains a word.

    ``fields`` are tried in order (e.g. summary, then body); without any match the start of the
    first non-empty field is used. ``cut`` says the chosen text is itself an excerpt (it gets a
    leading ellipsis). The result is HTML-escaped except for the ``<mark>`` tags.
    """
    pattern = _pattern(words)
    chosen, start = next((f for f in fields if f), ""), 0
    if pattern is not None:
        for field in fields:
            match = pattern.search(field)
            if match:
                chosen = field
                start = max(0, match.start() - length // 3)
                break
    if start:
        space = chosen.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(chosen), start + length)
    if end < len(chosen):
        space = chosen.rfind(" ", start + length // 2, end)
        end = space if space > 0 else end
    body = highlight(chosen[start:end], words)
    return ("… " if start > 0 or cut else "") + body + (" …" if end < len(chosen) else "")


def lesson_snippet(summary: str, body_markdown: str, words: tuple[str, ...]) -> str:
    """The snippet of a lesson: from its summary when a word is there, else from its body's first match.

    Only a window of the body around that match is turned into plain text, so the cost does not
    grow with the length of the lesson.
    """
    pattern = _pattern(words)
    if pattern is None or pattern.search(summary):
        return snippet([summary], words)
    match = pattern.search(body_markdown)
    if match is None:  # the words are in the title, tags or category name
        return snippet([summary, markdown_text(body_markdown[:SNIPPET_CHARS * 3])], words)
    start = max(0, match.start() - SNIPPET_CHARS)
    window = markdown_text(body_markdown[start:match.end() + SNIPPET_CHARS * 2])
    return snippet([window], words, cut=start > 0)

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
# Block marks (headings, quotes, list items) where markdown has them: at the start of a line, before its text.
_BLOCK_MARKS = re.compile(r"^[ \t]*(?:(?:#{1,6}|>|[-*+]|\d+\.)[ \t]+)+", re.M)
_EMPHASIS = str.maketrans("", "", "*_`~")
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
    """Readable text of (part of) a lesson body for snippets: links become their text, block and emphasis marks
    go, whitespace runs become one space."""
    text = _MARKDOWN_LINK.sub(_first_group, markdown) if "](" in markdown else markdown
    return " ".join(_BLOCK_MARKS.sub("", text).translate(_EMPHASIS).split())


def _first_group(match: re.Match) -> str:
    return match.group(1)


def allowed_typos(word: str) -> int:
    """Edits a query word may be away from a catalog word: 1 from 5 letters, 2 from 9 (Meilisearch's defaults)."""
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


@functools.lru_cache(maxsize=4096)
def word_matches(token: str, words: tuple[str, ...]) -> bool:
    """Whether a (lower-case) word of a lesson is one a query matched, so it is highlighted whole.

    ``words`` are the query's words and the catalog words its typos matched. A token matches
    when it contains one (what both modes match) or is its stem ("shadow" for the query
    "shadows": a start of it at most three letters shorter).
    """
    for word in words:
        if word in token or (len(token) >= 3 and word.startswith(token) and len(word) - len(token) <= 3):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _screen(words: tuple[str, ...], ignore_case: bool = False) -> re.Pattern:
    """A quick test a (lower-case, unless ``ignore_case``) text must pass to hold a matching word: a query word or
    the start its stems share."""
    pieces = {word[:max(3, len(word) - 3)] for word in words}
    return re.compile("|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True)),
                      re.IGNORECASE if ignore_case else 0)


def _spans(text: str, words: tuple[str, ...], *, first: bool = False) -> list[tuple[int, int]]:
    """Where the matching words of ``text`` are (only the first one with ``first``).

    The screen runs over the lower-cased text, a plain search being several times quicker than one
    ignoring case, when lower-casing keeps every character in its place (it does unless a letter's
    lower case is longer, like "İ"); the text's words are what :func:`word_matches` judges.
    """
    if not words:
        return []
    lowered = text.lower()
    aligned = len(lowered) == len(text)
    screen, haystack = _screen(words, not aligned), lowered if aligned else text
    spans, at = [], 0
    while (hit := screen.search(haystack, at)) is not None:
        start = hit.start()
        while start > 0 and WORD_RE.match(text[start - 1]):
            start -= 1
        token = WORD_RE.match(text, start)
        if word_matches(token.group().lower(), words):
            spans.append(token.span())
            if first:
                break
        at = token.end()
    return spans


def highlight(text: str, words: tuple[str, ...]) -> str:
    """``text`` HTML-escaped, with every whole word that matches a query word wrapped in ``<mark>``."""
    out, last = [], 0
    for start, end in _spans(text, words):
        out.append(escape(text[last:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def snippet(text: str, words: tuple[str, ...], length: int = SNIPPET_CHARS, *, label: str = "") -> str:
    """A highlighted window of about ``length`` characters of ``text`` around its first match.

    ``label`` (a section heading) is shown before the window, set off by a colon, never run
    into it. The result is HTML-escaped except for the ``<mark>`` tags.
    """
    spans = _spans(text, words, first=True)
    start = max(0, spans[0][0] - length // 3) if spans else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start + length // 2, end)
        end = space if space > 0 else end
    body = ("… " if start > 0 else "") + highlight(text[start:end], words) + (" …" if end < len(text) else "")
    return f"{highlight(label, words)}: {body}" if label else body


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def sections(markdown: str) -> list[tuple[str, str | None]]:
    """The body as blocks in order: (heading, None) for a heading, (heading, paragraph markdown) for a paragraph
    under it; text before any heading has heading "". Headings are readable text; paragraphs are left as
    written (:func:`markdown_text` makes them readable)."""
    blocks, heading, lines = [], "", []

    def close():
        if lines:
            blocks.append((heading, "\n".join(lines)))
            lines.clear()

    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            close()
            heading = markdown_text(match.group(1))
            blocks.append((heading, None))
        elif not line.strip():
            close()
        else:
            lines.append(line)
    close()
    return blocks


def _may_match(markdown: str, words: tuple[str, ...]) -> bool:
    """Whether the readable text of ``markdown`` holds a matching word, never saying no wrongly, without
    making it readable: that only removes characters, and of those only emphasis marks (removed here
    too) and links (always made readable) can bring letters together into a word."""
    return "](" in markdown or bool(_spans(markdown.translate(_EMPHASIS), words, first=True))


def lesson_snippet(summary: str, body_markdown: str, words: tuple[str, ...]) -> str:
    """The snippet of a lesson: from its summary when a word is there, else from the first paragraph of its body
    with a match, labelled with its heading when the match is the heading itself. A snippet never runs
    a heading into the prose. Only the paragraphs that can match are made readable."""
    if not words or _spans(summary, words, first=True):
        return snippet(summary, words)
    blocks = sections(body_markdown)

    def readable(start: int = 0):
        for _, markdown in blocks[start:]:
            if markdown is not None and (paragraph := markdown_text(markdown)):
                yield paragraph

    for n, (heading, markdown) in enumerate(blocks):
        if markdown is None:
            if heading and _spans(heading, words, first=True):
                return snippet(next(readable(n + 1), ""), words, label=heading)
        elif _may_match(markdown, words) and (paragraph := markdown_text(markdown)) and _spans(
                paragraph, words, first=True):
            return snippet(paragraph, words)
    return snippet(summary or next(readable(), ""), words)

"""Parse and validate the authored Crazy Diamonds lesson catalog (``lessons/catalog/``).

Pure Python, no Django: the same rules run in the ``load_lessons`` command, in services, in
the lesson generator and in database-free tests, so "what counts as a valid lesson" is
defined exactly once. The file format is described in ``lessons/catalog/README.md``.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import markdown
import nh3
import yaml

from controlpanel.styles import STYLES

REQUIRED_SECTIONS = ("Objective", "Warm-up", "Steps", "Exercise", "Reflection")
MIN_WORDS = 300
DIFFICULTIES = (1, 2, 3, 4, 5)
MIN_STYLES_USED = 3
# Checks must not give their answer away by shape. A right answer that is the longest choice
# (or tied for longest) is a tell: authors tend to qualify the true statement and leave the
# distractors short, and a learner who always picks the longest choice can score without
# reading. By chance it is the longest in a quarter to a third of 3-4-choice checks, so a
# lesson may have it longest in at most half of its checks (1 check: never; 2: one; 3: one).
# A check whose choices are all the same length gives nothing away and never counts.
MAX_LONGEST_ANSWER_SHARE = 0.5
# Across the catalog, a fair spread puts a fifth to a third of the answers at each position
# of 3-5 choices; "it is always the first one" must fail. So no position (answer index) may
# hold the right answer in more than half of the checks that offer that position. A position
# offered by fewer than MIN_CHECKS_PER_POSITION checks is not judged: too few to tell a habit
# from chance.
MAX_ANSWER_POSITION_SHARE = 0.5
MIN_CHECKS_PER_POSITION = 4

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_RE = re.compile(r"^[a-z0-9]+(?:[- ][a-z0-9]+)*$")
_WORD_RE = re.compile(r"\w+(?:['\u2019-]\w+)*")
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE_RE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_SCALAR_FIELDS = {"slug": str, "title": str, "category": str, "difficulty": int, "style": str, "minutes": int,
                  "summary": str}
_FIELDS = (*_SCALAR_FIELDS, "tags", "prerequisites", "checks")
_CHECK_FIELDS = ("question", "choices", "answer", "explanation")
_TYPE_NAMES = {"NoneType": "nothing (null)", "bool": "a boolean", "int": "an integer",
               "float": "a number", "str": "text", "list": "a list", "dict": "a mapping",
               "date": "a date", "datetime": "a date-time"}


class CatalogError(Exception):
    """One rejected lesson (or categories file): *where* and *why*, phrased for authors."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)  # keeps the error picklable (Celery, multiprocessing)
        self.source = source
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True)
class CheckSpec:
    question: str
    choices: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    description: str
    order: int


@dataclass(frozen=True)
class LessonSpec:
    slug: str
    title: str
    category: str
    difficulty: int
    style: str
    minutes: int
    summary: str
    tags: tuple[str, ...]
    prerequisites: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    body: str

    def content_hash(self) -> str:
        """sha256 of canonical JSON of every field, so the loader can skip unchanged lessons."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def word_count(self) -> int:
        """Words of the body that contain a letter, so list numbers and markup do not pad it."""
        return sum(1 for w in _WORD_RE.findall(self.body) if any(c.isalpha() for c in w))


@dataclass
class CatalogLoad:
    categories: list[CategorySpec]
    lessons: list[LessonSpec]
    errors: list[CatalogError] = field(default_factory=list)


# --- parsing -------------------------------------------------------------------------------

def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value).__name__, type(value).__name__)


def _get(mapping: dict, key: str, kind: type, where: str, source: str) -> Any:
    """Fetch ``key`` and check its YAML type; bools are not ints and text is stripped."""
    if key not in mapping:
        raise CatalogError(source, f"missing field '{where}{key}'")
    value = mapping[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        expected = {int: "an integer", str: "text", list: "a list", dict: "a mapping"}[kind]
        raise CatalogError(source, f"field '{where}{key}' must be {expected}, "
                                   f"got {_type_name(value)} ({value!r})")
    return value.strip() if isinstance(value, str) else value


def _str_list(values: list, where: str, source: str) -> tuple[str, ...]:
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise CatalogError(source, f"{where}[{i}] must be text, got {_type_name(v)} ({v!r})")
    return tuple(v.strip() for v in values)


def _reject_unknown(mapping: dict, known: tuple[str, ...], where: str, source: str) -> None:
    """Unknown keys are almost always typos ('prerequisite:'), so they are errors, not noise."""
    unknown = sorted(str(k) for k in mapping if k not in known)
    if unknown:
        raise CatalogError(source, f"unknown field(s) {', '.join(repr(where + k) for k in unknown)}"
                                   f" (allowed: {', '.join(known)})")


def _split_front_matter(text: str, source: str) -> tuple[str, str]:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise CatalogError(source, "the file must start with a '---' line opening the front matter")
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:])
    raise CatalogError(source, "the front matter is never closed by a '---' line")


def _parse_check(raw: Any, i: int, source: str) -> CheckSpec:
    where = f"checks[{i}]."
    if not isinstance(raw, dict):
        raise CatalogError(source, f"checks[{i}] must be a mapping, got {_type_name(raw)}")
    _reject_unknown(raw, _CHECK_FIELDS, where, source)
    return CheckSpec(
        question=_get(raw, "question", str, where, source),
        choices=_str_list(_get(raw, "choices", list, where, source), where + "choices", source),
        answer=_get(raw, "answer", int, where, source),
        explanation=_get(raw, "explanation", str, where, source),
    )


def parse_lesson_text(text: str, *, source: str) -> LessonSpec:
    """Parse one lesson file (front matter + Markdown body) and check every field's type and range.

    Section and word-count rules live in :func:`validate_lesson`, which needs the categories.
    """
    front, body = _split_front_matter(text, source)
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 2}" if mark is not None else ""  # +1 0-based, +1 for '---'
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(source, f"invalid YAML in front matter{line}: {problem}") from None
    if not isinstance(data, dict):
        raise CatalogError(source, f"front matter must be a mapping of fields, got {_type_name(data)}")
    _reject_unknown(data, _FIELDS, "", source)
    if "prerequisites" not in data:
        data = {**data, "prerequisites": []}
    scalars = {key: _get(data, key, kind, "", source) for key, kind in _SCALAR_FIELDS.items()}
    lists = {key: _str_list(_get(data, key, list, "", source), key, source) for key in ("tags", "prerequisites")}
    checks = _get(data, "checks", list, "", source)
    spec = LessonSpec(**scalars, **lists, checks=tuple(_parse_check(c, i, source) for i, c in enumerate(checks)),
                      body=body.strip())
    _check_fields(spec, source)
    return spec


# --- single-lesson validation --------------------------------------------------------------

def _length(value: str, name: str, lo: int, hi: int, source: str) -> None:
    if not lo <= len(value) <= hi:
        raise CatalogError(source, f"{name} must be {lo}-{hi} characters, got {len(value)}")
    if "\n" in value:
        raise CatalogError(source, f"{name} must be a single line")


def _check_fields(spec: LessonSpec, source: str) -> None:
    """Range/format rules that need nothing but the lesson; shared by parsing and validation."""
    if not SLUG_RE.match(spec.slug) or not 3 <= len(spec.slug) <= 80:
        raise CatalogError(source, f"slug {spec.slug!r} must be 3-80 characters of a-z, 0-9 and "
                                   "single hyphens")
    _length(spec.title, "title", 3, 120, source)
    if not SLUG_RE.match(spec.category):
        raise CatalogError(source, f"category {spec.category!r} is not a valid category slug")
    if spec.difficulty not in DIFFICULTIES:
        raise CatalogError(source, f"difficulty must be 1-5, got {spec.difficulty}")
    if spec.style not in STYLES:
        raise CatalogError(source, f"unknown style {spec.style!r} (expected one of {', '.join(STYLES)})")
    if not 5 <= spec.minutes <= 90:
        raise CatalogError(source, f"minutes must be 5-90, got {spec.minutes}")
    _length(spec.summary, "summary", 20, 300, source)
    if not 1 <= len(spec.tags) <= 8:
        raise CatalogError(source, f"tags must list 1-8 tags, got {len(spec.tags)}")
    for tag in spec.tags:
        if not TAG_RE.match(tag) or len(tag) > 30:
            raise CatalogError(source, f"tag {tag!r} must be lowercase a-z, 0-9, hyphens or spaces "
                                       "(at most 30 characters)")
    if len(set(spec.tags)) != len(spec.tags):
        raise CatalogError(source, "tags must not repeat")
    for slug in spec.prerequisites:
        if not SLUG_RE.match(slug):
            raise CatalogError(source, f"prerequisite {slug!r} is not a valid lesson slug")
        if slug == spec.slug:
            raise CatalogError(source, "a lesson cannot be its own prerequisite")
    if len(set(spec.prerequisites)) != len(spec.prerequisites):
        raise CatalogError(source, "prerequisites must not repeat")
    if not 1 <= len(spec.checks) <= 3:
        raise CatalogError(source, f"checks must hold 1-3 questions, got {len(spec.checks)}")
    for i, check in enumerate(spec.checks):
        where = f"checks[{i}]"
        if not check.question or not check.explanation:
            raise CatalogError(source, f"{where} needs a non-empty question and explanation")
        if not 2 <= len(check.choices) <= 5:
            raise CatalogError(source, f"{where}.choices must hold 2-5 choices, got {len(check.choices)}")
        if any(not c for c in check.choices) or len(set(check.choices)) != len(check.choices):
            raise CatalogError(source, f"{where}.choices must be non-empty and distinct")
        if not 0 <= check.answer < len(check.choices):
            raise CatalogError(source, f"{where}.answer {check.answer} is out of range: it is a 0-based "
                                       f"index into {len(check.choices)} choices (0-{len(check.choices) - 1})")


def _h2_sections(body: str) -> list[tuple[str, str]]:
    """(heading, content) for every level-2 heading outside fenced code blocks."""
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING_RE.match(line)
        if heading and len(heading.group(1)) == 2:
            sections.append((heading.group(2), []))
        elif sections:
            sections[-1][1].append(line)
    return [(name, "\n".join(lines)) for name, lines in sections]


def _check_body(spec: LessonSpec, source: str) -> None:
    sections = _h2_sections(spec.body)
    names = [name for name, _ in sections]
    for required in REQUIRED_SECTIONS:
        for name in names:
            if name != required and name.casefold() == required.casefold():
                raise CatalogError(source, f"heading '## {name}' must be written exactly '## {required}'")
    missing = [r for r in REQUIRED_SECTIONS if r not in names]
    if missing:
        raise CatalogError(source, "missing section(s) " + ", ".join(f"'## {m}'" for m in missing))
    repeated = sorted({r for r in REQUIRED_SECTIONS if names.count(r) > 1})
    if repeated:
        raise CatalogError(source, "section(s) appear more than once: " + ", ".join(repeated))
    found = [n for n in names if n in REQUIRED_SECTIONS]
    if found != list(REQUIRED_SECTIONS):
        raise CatalogError(source, f"sections are out of order: found {', '.join(found)}; "
                                   f"expected {', '.join(REQUIRED_SECTIONS)}")
    for name, content in sections:
        if name in REQUIRED_SECTIONS and not _WORD_RE.search(content):
            raise CatalogError(source, f"section '## {name}' is empty")
    words = spec.word_count()
    if words < MIN_WORDS:
        raise CatalogError(source, f"body has {words} words; at least {MIN_WORDS} are required")


def answer_is_longest(check: CheckSpec) -> bool:
    """True when the right answer is the longest choice or tied for it (all equal: False)."""
    lengths = [len(choice) for choice in check.choices]
    return lengths[check.answer] == max(lengths) > min(lengths)


def _check_answer_shapes(spec: LessonSpec, source: str) -> None:
    longest = [i for i, check in enumerate(spec.checks) if answer_is_longest(check)]
    if len(longest) > MAX_LONGEST_ANSWER_SHARE * len(spec.checks):
        total = len(spec.checks)
        raise CatalogError(source, f"the right answer is the longest choice (or tied for it) in {len(longest)} of "
                                   f"{total} check{'s' if total != 1 else ''} "
                                   f"({', '.join(f'checks[{i}]' for i in longest)}); vary the lengths so the "
                                   "answer cannot be guessed from its shape (at most half of a lesson's "
                                   "checks may have it longest)")


def validate_lesson(spec: LessonSpec, *, categories: set[str], source: str | None = None) -> None:
    """Every rule that one lesson can be judged on alone; raises :class:`CatalogError`.

    ``source`` names the lesson in errors (a file name, or ``generated:<slug>``); it defaults
    to the slug so specs built in code (the generator) still get a useful message.
    """
    source = source or spec.slug
    _check_fields(spec, source)
    if spec.category not in categories:
        raise CatalogError(source, f"unknown category {spec.category!r} (known: {', '.join(sorted(categories))})")
    _check_body(spec, source)
    _check_answer_shapes(spec, source)


# --- the whole catalog ---------------------------------------------------------------------

def parse_categories(path: Path | str) -> list[CategorySpec]:
    """Read ``categories.yaml``; a broken file raises because every lesson depends on it."""
    path = Path(path)
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(source, f"cannot read file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(source, f"invalid YAML{line}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, list) or not data:
        raise CatalogError(source, "must be a non-empty list of categories")
    result: list[CategorySpec] = []
    for i, raw in enumerate(data):
        where = f"[{i}]."
        if not isinstance(raw, dict):
            raise CatalogError(source, f"entry {i} must be a mapping, got {_type_name(raw)}")
        _reject_unknown(raw, ("slug", "name", "description", "order"), where, source)
        spec = CategorySpec(slug=_get(raw, "slug", str, where, source), name=_get(raw, "name", str, where, source),
                            description=_get(raw, "description", str, where, source),
                            order=_get(raw, "order", int, where, source))
        if not SLUG_RE.match(spec.slug):
            raise CatalogError(source, f"category slug {spec.slug!r} must be lowercase a-z, 0-9 and hyphens")
        if not spec.name or not spec.description:
            raise CatalogError(source, f"category {spec.slug!r} needs a non-empty name and description")
        if any(c.slug == spec.slug for c in result):
            raise CatalogError(source, f"duplicate category slug {spec.slug!r}")
        result.append(spec)
    return sorted(result, key=lambda c: (c.order, c.slug))


def _shortest_cycle(start: str, graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """Shortest path start -> ... -> start along prerequisite edges (BFS, sorted = deterministic)."""
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if nxt not in parents and nxt in graph:
                parents[nxt] = node
                queue.append(nxt)
    return None


def _cross_lesson_reasons(accepted: dict[str, LessonSpec], rejected: set[str]) -> dict[str, list[str]]:
    """Reasons per slug for prerequisite problems, cascading to dependants until a fixed point."""
    reasons: dict[str, list[str]] = {}
    graph = {slug: tuple(p for p in spec.prerequisites if p in accepted) for slug, spec in accepted.items()}
    for slug, spec in accepted.items():
        for pre in spec.prerequisites:
            if pre in rejected:
                reasons.setdefault(slug, []).append(f"prerequisite {pre!r} was rejected")
            elif pre not in accepted:
                reasons.setdefault(slug, []).append(f"unknown prerequisite {pre!r}")
            elif accepted[pre].difficulty > spec.difficulty + 1:
                reasons.setdefault(slug, []).append(
                    f"prerequisite {pre!r} is difficulty {accepted[pre].difficulty}, more than one step "
                    f"above this lesson's difficulty {spec.difficulty}")
        cycle = _shortest_cycle(slug, graph)
        if cycle:
            reasons.setdefault(slug, []).append("prerequisite cycle: " + " -> ".join(cycle))
    changed = True
    while changed:
        changed = False
        for slug, spec in accepted.items():
            if slug in reasons:
                continue
            bad = [p for p in spec.prerequisites if p in reasons]
            if bad:
                reasons[slug] = [f"prerequisite {p!r} was rejected" for p in bad]
                changed = True
    return reasons


def _lesson_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.parent != root and p.name.lower() != "readme.md"
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def question_key(question: str) -> str:
    """How two check questions are compared: case and spacing do not make a new question."""
    return " ".join(question.casefold().split())


def catalog_questions(root: Path | str) -> frozenset[str]:
    """:func:`question_key` of every check question in the lesson files under ``root``.

    Read leniently (front matter only, no validation), so a lesson that is currently rejected
    still counts as authored: the generator must not copy its checks either.
    """
    root = Path(root)
    keys: set[str] = set()
    for path in _lesson_paths(root):
        try:
            front, _ = _split_front_matter(path.read_text(encoding="utf-8"), path.name)
            data = yaml.safe_load(front)
        except (OSError, UnicodeDecodeError, CatalogError, yaml.YAMLError):
            continue
        checks = data.get("checks") if isinstance(data, dict) else None
        for check in checks if isinstance(checks, list) else ():
            if isinstance(check, dict) and isinstance(check.get("question"), str):
                keys.add(question_key(check["question"]))
    return frozenset(keys)


def load_catalog(root: Path | str) -> CatalogLoad:
    """Load every lesson under ``root/<category>/``; bad files become errors, the rest load.

    A broken ``categories.yaml`` raises :class:`CatalogError` instead of returning an empty
    catalog, so a sync can never mistake "unreadable" for "everything was deleted".
    """
    root = Path(root)
    categories = parse_categories(root / "categories.yaml")
    category_slugs = {c.slug for c in categories}
    errors: list[CatalogError] = []
    parsed: list[tuple[str, LessonSpec]] = []
    rejected: set[str] = set()
    for path in _lesson_paths(root):
        source = path.relative_to(root).as_posix()
        slugs = {path.stem}  # best guess at the slug, so dependants of a broken file say "rejected"
        try:
            if path.parent.parent != root:
                raise CatalogError(source, "lesson files must sit directly in <category>/, not deeper")
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise CatalogError(source, "file is not valid UTF-8") from None
            spec = parse_lesson_text(text, source=source)
            slugs.add(spec.slug)
            validate_lesson(spec, categories=category_slugs, source=source)
            if path.parent.name != spec.category:
                raise CatalogError(source, f"file is in folder {path.parent.name!r} but its category is "
                                           f"{spec.category!r}")
            if path.stem != spec.slug:
                raise CatalogError(source, f"file name must be the slug: expected {spec.slug}.md")
            parsed.append((source, spec))
        except CatalogError as exc:
            errors.append(exc)
            rejected |= slugs
    accepted: dict[str, LessonSpec] = {}
    sources: dict[str, str] = {}
    titles: dict[str, str] = {}
    for source, spec in parsed:
        title_key = " ".join(spec.title.casefold().split())
        if spec.slug in accepted:
            errors.append(CatalogError(source, f"duplicate slug {spec.slug!r} (already used by {sources[spec.slug]})"))
        elif title_key in titles:
            errors.append(CatalogError(source, f"duplicate title {spec.title!r} (already used by {titles[title_key]})"))
            rejected.add(spec.slug)
        else:
            accepted[spec.slug], sources[spec.slug], titles[title_key] = spec, source, source
    rejected -= set(accepted)
    for slug, why in _cross_lesson_reasons(accepted, rejected).items():
        errors.append(CatalogError(sources[slug], "; ".join(why)))
        del accepted[slug]
    errors.sort(key=lambda e: e.source)
    return CatalogLoad(categories=categories, lessons=list(accepted.values()), errors=errors)


def answer_position_problems(checks: Iterable[CheckSpec]) -> list[str]:
    """One problem per answer index that holds the right answer too often (see MAX_ANSWER_POSITION_SHARE)."""
    checks = list(checks)
    problems = []
    for position in range(max((len(c.choices) for c in checks), default=0)):
        offered = [c for c in checks if len(c.choices) > position]
        hits = sum(c.answer == position for c in offered)
        if len(offered) >= MIN_CHECKS_PER_POSITION and hits > MAX_ANSWER_POSITION_SHARE * len(offered):
            problems.append(f"the right answer is at index {position} in {hits} of the {len(offered)} checks "
                            f"with a choice there ({hits / len(offered):.0%}; at most "
                            f"{MAX_ANSWER_POSITION_SHARE:.0%}); spread the answers over all positions so "
                            "the position cannot give it away")
    return problems


def catalog_problems(load: CatalogLoad) -> list[str]:
    """Catalog-wide promises (README) that no single file can break: difficulty span, style mix,
    answer positions."""
    problems = []
    for category in load.categories:
        present = {lesson.difficulty for lesson in load.lessons if lesson.category == category.slug}
        missing = [str(d) for d in DIFFICULTIES if d not in present]
        if missing:
            problems.append(f"category {category.slug!r} has no lesson at difficulty {', '.join(missing)}")
    styles = sorted({lesson.style for lesson in load.lessons})
    if len(styles) < MIN_STYLES_USED:
        problems.append(f"only {len(styles)} style(s) used ({', '.join(styles) or 'none'}); "
                        f"at least {MIN_STYLES_USED} are required")
    problems += answer_position_problems(check for lesson in load.lessons for check in lesson.checks)
    return problems


# --- rendering -----------------------------------------------------------------------------

_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del",
    "ins", "mark", "sub", "sup", "small", "abbr", "blockquote", "code", "pre", "kbd", "samp", "ul",
    "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"},
                       "th": {"align", "colspan", "rowspan"}, "td": {"align", "colspan", "rowspan"}}


def render_lesson_html(markdown_text: str) -> str:
    """Markdown to HTML that is safe to show, even if an author (or the bank) slips in HTML.

    Script/style elements are dropped with their content, only http(s)/mailto links survive
    (relative and javascript: URLs are removed) and every link gets rel="noopener noreferrer".
    """
    html = markdown.markdown(markdown_text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=_ALLOWED_TAGS, clean_content_tags={"script", "style"},
                     attributes=_ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     url_relative="deny", link_rel="noopener noreferrer", strip_comments=True)

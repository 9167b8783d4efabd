"""Compose new Crazy Diamonds lessons from a hand-written bank of lesson parts.

The product promises "5 new lessons every week". Rather than free-text generation, lessons are
assembled from parts written for this product (``bank/<category>/*.yaml``): a technique with
its steps and checks, a warm-up, an exercise prompt, twists and reflection questions. That
keeps every lesson useful, reviewable and reproducible: the same arguments always give the
same lessons, and every lesson passes the same :func:`lessons.catalog.validate_lesson` as an
authored one. Pure Python, no Django.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, product
from pathlib import Path
from typing import Any

import yaml

from lessons.catalog import (
    DIFFICULTIES,
    MAX_LONGEST_ANSWER_SHARE,
    SLUG_RE,
    STYLES,
    TAG_RE,
    CatalogError,
    CheckSpec,
    LessonSpec,
    answer_is_longest,
    catalog_questions,
    question_key,
    validate_lesson,
)

# 2: checks are picked so the right answer is not given away by its length, and never copy an
# authored check; the same seed gives different lessons than version 1 did.
GENERATOR_VERSION = "2"
BANK_DIR = Path(__file__).with_name("bank")
CATALOG_DIR = Path(__file__).resolve().parents[1] / "catalog"
PROSE_FILE = "prose.yaml"  # the texts every lesson shares; every other file is one category's parts
MINIMUMS = {"techniques": 8, "warmups": 6, "exercises": 8, "twists": 5, "reflections": 6, "deepen": 3}
# How difficulty shapes a lesson: constraints, extra practice steps, reflections, checks, time.
TWISTS = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}
DEEPEN_STEPS = {1: 0, 2: 1, 3: 1, 4: 2, 5: 3}
REFLECTIONS = {1: 2, 2: 2, 3: 3, 4: 3, 5: 3}
CHECKS = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}
WARMUP_MINUTES = {1: 3, 2: 4, 3: 5, 4: 5, 5: 6}
EXERCISE_MINUTES = {1: 8, 2: 10, 3: 15, 4: 20, 5: 30}
log = logging.getLogger(__name__)


class BankError(ValueError):
    """The bank files break a rule the generator relies on (raised at load time, not mid-batch)."""


@dataclass(frozen=True)
class Part:
    id: str
    text: str
    title: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    style: str
    tags: tuple[str, ...]
    trains: str
    tip: str
    steps: tuple[str, ...]
    checks: tuple[tuple[str, CheckSpec], ...]  # (check id, check)


@dataclass(frozen=True, eq=False)
class Prose:
    """The texts every generated lesson shares (``bank/prose.yaml``)."""

    objectives: dict[int, str]  # by difficulty; {name}, {Name}, {trains} and {work} are filled in
    styles: dict[str, str]  # one line per lesson style
    warmup_close: dict[int, str]  # by difficulty
    exercise_close: dict[int, str]  # by difficulty
    reflection_close: str


@dataclass(frozen=True)
class CategoryBank:
    category: str
    work: str
    materials: str
    prose: Prose
    techniques: tuple[Technique, ...]
    warmups: tuple[Part, ...]
    exercises: tuple[Part, ...]
    twists: tuple[Part, ...]
    reflections: tuple[Part, ...]
    deepen: tuple[Part, ...]


@dataclass(frozen=True)
class GeneratedLesson:
    spec: LessonSpec
    parts: dict  # kind -> part id(s): provenance, JSON-serialisable


# --- bank loading --------------------------------------------------------------------------

def _text(raw: dict, key: str, where: str, max_len: int = 600) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BankError(f"{where}: '{key}' must be non-empty text")
    value = " ".join(value.split())
    if len(value) > max_len or value.startswith("#"):
        raise BankError(f"{where}: '{key}' is longer than {max_len} characters or starts with '#'")
    return value


def _id(raw: dict, where: str) -> str:
    value = raw.get("id")
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > 16:
        raise BankError(f"{where}: id {value!r} must be a slug of at most 16 characters")
    return value


def _tags(raw: dict, where: str, lo: int, hi: int) -> tuple[str, ...]:
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not lo <= len(tags) <= hi or not all(
            isinstance(t, str) and TAG_RE.match(t) for t in tags):
        raise BankError(f"{where}: tags must be {lo}-{hi} lowercase tags")
    return tuple(tags)


def _check(raw: Any, where: str) -> tuple[str, CheckSpec]:
    if not isinstance(raw, dict):
        raise BankError(f"{where}: a check must be a mapping")
    choices = raw.get("choices")
    if (not isinstance(choices, list) or not 2 <= len(choices) <= 5 or len(set(choices)) != len(choices)
            or not all(isinstance(c, str) and c.strip() for c in choices)):
        raise BankError(f"{where}: choices must be 2-5 distinct texts")
    answer = raw.get("answer")
    if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
        raise BankError(f"{where}: answer must index the choices")
    spec = CheckSpec(question=_text(raw, "question", where), choices=tuple(" ".join(c.split()) for c in choices),
                     answer=answer, explanation=_text(raw, "explanation", where))
    return _id(raw, where), spec


def _technique(raw: dict, where: str) -> Technique:
    steps = raw.get("steps")
    checks = raw.get("checks")
    if not isinstance(steps, list) or not 2 <= len(steps) <= 4:
        raise BankError(f"{where}: a technique needs 2-4 steps")
    if not isinstance(checks, list) or not checks:
        raise BankError(f"{where}: a technique needs at least one check")
    if raw.get("style") not in STYLES:
        raise BankError(f"{where}: style must be one of {', '.join(STYLES)}")
    parsed = tuple(_check(c, f"{where} check {i}") for i, c in enumerate(checks))
    if all(answer_is_longest(check) for _, check in parsed):
        raise BankError(f"{where}: every check has the right answer as its longest choice; at least one "
                        "must not, or the technique cannot fill a one-check lesson")
    return Technique(id=_id(raw, where), name=_text(raw, "name", where, 32), style=raw["style"],
                     tags=_tags(raw, where, 1, 4), trains=_text(raw, "trains", where, 160),
                     tip=_text(raw, "tip", where), steps=tuple(_text({"s": s}, "s", where) for s in steps),
                     checks=parsed)


def _by_key(raw: dict, key: str, keys: Iterable, where: str) -> dict:
    texts = raw.get(key)
    if not isinstance(texts, dict) or set(texts) != set(keys):
        raise BankError(f"{where}: '{key}' must give a text for each of {', '.join(map(str, keys))}")
    return {k: _text(texts, k, f"{where} {key}") for k in keys}


def _prose(raw: Any, where: str) -> Prose:
    if not isinstance(raw, dict) or set(raw) != {"prose"} or not isinstance(raw["prose"], dict):
        raise BankError(f"{where}: must be a mapping with only a 'prose' key")
    raw = raw["prose"]
    objectives = _by_key(raw, "objectives", DIFFICULTIES, where)
    for d, text in objectives.items():
        try:
            text.format(name="", Name="", trains="", work="")
        except (KeyError, IndexError, ValueError) as exc:
            raise BankError(f"{where}: objectives {d} may only use {{name}}, {{Name}}, {{trains}} and {{work}} "
                            f"({exc!r})") from None
    return Prose(objectives=objectives, styles=_by_key(raw, "styles", STYLES, where),
                 warmup_close=_by_key(raw, "warmup_close", DIFFICULTIES, where),
                 exercise_close=_by_key(raw, "exercise_close", DIFFICULTIES, where),
                 reflection_close=_text(raw, "reflection_close", where))


def _read_yaml(path: Path, name: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BankError(f"{name}: invalid YAML: {exc}") from None


@lru_cache(maxsize=4)
def load_prose(bank_dir: Path = BANK_DIR) -> Prose:
    """Read and check ``bank_dir/prose.yaml``, the texts every generated lesson shares."""
    path = bank_dir / PROSE_FILE
    if not path.is_file():
        raise BankError(f"{PROSE_FILE}: missing from {bank_dir}")
    return _prose(_read_yaml(path, PROSE_FILE), PROSE_FILE)


@lru_cache(maxsize=4)
def load_bank(bank_dir: Path = BANK_DIR) -> dict[str, CategoryBank]:
    """Read and check every ``*.yaml`` under ``bank_dir``; files merge by their ``category`` key,
    and every category carries the shared texts of ``prose.yaml`` (:func:`load_prose`).

    Cached because the bank only changes with a deploy; checked eagerly so a broken bank fails
    loudly instead of quietly producing fewer lessons.
    """
    prose = load_prose(bank_dir)
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(bank_dir.rglob("*.yaml")):
        name = path.relative_to(bank_dir).as_posix()
        if name == PROSE_FILE:
            continue
        data = _read_yaml(path, name)
        if not isinstance(data, dict) or not isinstance(data.get("category"), str):
            raise BankError(f"{name}: must be a mapping with a 'category' key")
        target = merged.setdefault(data["category"], {})
        for key, value in data.items():
            if key == "category":
                continue
            if isinstance(value, list):
                target.setdefault(key, []).extend((name, item) for item in value)
            elif key in target:
                raise BankError(f"{name}: '{key}' is defined twice for {data['category']}")
            else:
                target[key] = value
    banks = {}
    for category, data in sorted(merged.items()):
        kinds: dict[str, tuple] = {}
        for kind, minimum in MINIMUMS.items():
            items = data.get(kind, [])
            if len(items) < minimum:
                raise BankError(f"{category}: needs at least {minimum} {kind}, has {len(items)}")
            parts = tuple(_technique(raw, f"{name} {kind}[{i}]") if kind == "techniques" else
                          Part(id=_id(raw, f"{name} {kind}[{i}]"), text=_text(raw, "text", f"{name} {kind}[{i}]"),
                               title=_text(raw, "title", f"{name} {kind}[{i}]", 40) if kind in ("warmups", "exercises", "twists") else "",
                               tags=_tags(raw, f"{name} {kind}[{i}]", 0, 2))
                          for i, (name, raw) in enumerate(items))
            ids = [p.id for p in parts]
            if len(set(ids)) != len(ids):
                raise BankError(f"{category}: duplicate {kind} ids")
            kinds[kind] = parts
        check_ids = [cid for t in kinds["techniques"] for cid, _ in t.checks]
        if len(set(check_ids)) != len(check_ids):
            raise BankError(f"{category}: duplicate check ids")
        banks[category] = CategoryBank(category=category, work=_text(data, "work", category, 40),
                                       materials=_text(data, "materials", category), prose=prose, **kinds)
    return banks


# --- composition ---------------------------------------------------------------------------

def _slug(category: str, technique: Technique, exercise: Part, twist: Part, difficulty: int) -> str:
    return f"{category}-gen-{technique.id}-{exercise.id}-{twist.id}-{difficulty}"


def _norm_title(title: str) -> str:
    return " ".join(title.casefold().split())


def _body(bank: CategoryBank, t: Technique, ex: Part, twists: list[Part], warmup: Part,
          deepen: list[Part], reflections: list[Part], d: int, style: str) -> str:
    name, prose = t.name, bank.prose
    objective = prose.objectives[d].format(name=name, Name=name[0].upper() + name[1:], trains=t.trains, work=bank.work)
    steps = "\n".join(f"{i}. {text}" for i, text in enumerate([*t.steps, *(p.text for p in deepen)], 1))
    if len(twists) == 1:
        constraint = f"**Twist ({twists[0].title}):** {twists[0].text}"
    else:
        constraint = "**Twists:**\n\n" + "\n".join(f"- **{w.title}:** {w.text}" for w in twists)
    return "\n".join([
        "## Objective", "", f"{objective} {prose.styles[style]}", "", f"You need: {bank.materials}", "",
        "## Warm-up", "", f"**{warmup.title}.** {warmup.text} Give it about {WARMUP_MINUTES[d]} "
        f"minutes. {prose.warmup_close[d]}", "",
        "## Steps", "", steps, "", f"**Tip:** {t.tip}", "",
        "## Exercise", "", f"**{ex.title}.** {ex.text} Use {name} as practised in the steps, and set a "
        f"timer for {EXERCISE_MINUTES[d]} minutes.", "", constraint, "", prose.exercise_close[d], "",
        "## Reflection", "", "\n".join(f"- {r.text}" for r in reflections), "", prose.reflection_close,
    ])


@lru_cache(maxsize=1)
def _authored_questions() -> frozenset[str]:
    """Questions of the authored catalog; cached like the bank, both change only with a deploy."""
    return catalog_questions(CATALOG_DIR)


def _pick_checks(rng: random.Random, checks: tuple[tuple[str, CheckSpec], ...], wanted: int,
                 authored: frozenset[str]) -> list[tuple[str, CheckSpec]]:
    """Up to ``wanted`` checks in bank order: none copies an authored question, and no more of
    them have the right answer as the longest choice than a lesson may (MAX_LONGEST_ANSWER_SHARE).

    Empty when no check qualifies; the caller then skips the combination.
    """
    pool = [item for item in checks if question_key(item[1].question) not in authored]
    for size in range(min(wanted, len(pool)), 0, -1):
        fair = [combo for combo in combinations(pool, size)
                if sum(answer_is_longest(check) for _, check in combo) <= MAX_LONGEST_ANSWER_SHARE * size]
        if fair:
            return list(rng.choice(fair))
    return []


def _build(bank: CategoryBank, combo: tuple[Technique, Part, Part], d: int, seed: int,
           style: str | None, prerequisites: list[tuple[str, int]],
           authored: frozenset[str]) -> GeneratedLesson | None:
    t, ex, twist = combo
    slug = _slug(bank.category, t, ex, twist, d)
    rng = random.Random(f"{seed}:{GENERATOR_VERSION}:{slug}")
    twists = [twist, *rng.sample([w for w in bank.twists if w.id != twist.id], TWISTS[d] - 1)]
    warmup = rng.choice(bank.warmups)
    deepen = sorted(rng.sample(bank.deepen, DEEPEN_STEPS[d]), key=bank.deepen.index)
    reflections = rng.sample(bank.reflections, REFLECTIONS[d])
    picked = _pick_checks(rng, t.checks, CHECKS[d], authored)
    if not picked:
        log.warning("skipping %s: technique %r has no check that is both new (not an authored "
                    "question) and fair (answer not the longest choice)", slug, t.id)
        return None
    checks = []
    for cid, check in picked:
        order = list(range(len(check.choices)))
        rng.shuffle(order)  # the seeded shuffle puts the right answer at any position, reproducibly
        checks.append((cid, CheckSpec(check.question, tuple(check.choices[i] for i in order),
                                      order.index(check.answer), check.explanation)))
    prereq: tuple[str, ...] = ()
    if d > 1:
        for wanted in (d - 1, d):
            pool = sorted(s for s, pd in prerequisites if pd == wanted and s != slug)
            if pool:
                prereq = (rng.choice(pool),)
                break
    lesson_style = style or t.style
    minutes = WARMUP_MINUTES[d] + 2 * (len(t.steps) + len(deepen)) + EXERCISE_MINUTES[d] + 3
    tags = tuple(dict.fromkeys([*t.tags, *ex.tags]))[:8]
    spec = LessonSpec(
        slug=slug, title=f"{t.name}: {ex.title} — {twist.title} (Level {d})", category=bank.category,
        difficulty=d, style=lesson_style, minutes=min(90, -(-minutes // 5) * 5),
        summary=f"{t.name}, level {d}: practise {t.trains}. Exercise: {ex.title}.",
        tags=tags, prerequisites=prereq, checks=tuple(c for _, c in checks),
        body=_body(bank, t, ex, twists, warmup, deepen, reflections, d, lesson_style))
    parts = {"technique": t.id, "exercise": ex.id, "twists": [w.id for w in twists], "warmup": warmup.id,
             "deepen": [p.id for p in deepen], "reflections": [r.id for r in reflections],
             "checks": [cid for cid, _ in checks]}
    return GeneratedLesson(spec=spec, parts=parts)


def compose_lessons(*, cells: list[tuple[str, int]], count: int, seed: int, taken_slugs: set[str],
                    taken_titles: set[str], taken_hashes: set[str],
                    prerequisite_candidates: dict[str, list[tuple[str, int]]] | None = None,
                    style: str | None = None, authored_questions: Iterable[str] | None = None,
                    ) -> list[GeneratedLesson]:
    """Compose up to ``count`` new lessons, walking ``cells`` (category, difficulty) round-robin.

    Deterministic for equal arguments. Within a category the least-used technique, exercise
    and twist are preferred, counting this batch and earlier generated slugs in
    ``taken_slugs``, so consecutive weeks do not repeat the same technique. Returns fewer than
    ``count`` lessons when the bank is exhausted for every cell; the caller reports that.

    No generated check repeats a question of ``authored_questions`` (compared by
    :func:`lessons.catalog.question_key`); by default, every question in ``lessons/catalog/``.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if style is not None and style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    banks = load_bank()
    for category, d in cells:
        if category not in banks or d not in TWISTS:
            raise ValueError(f"cannot generate for cell ({category!r}, {d!r})")
    prereqs = prerequisite_candidates or {}
    authored = (_authored_questions() if authored_questions is None
                else frozenset(question_key(q) for q in authored_questions))
    used_slugs, used_hashes = set(taken_slugs), set(taken_hashes)
    used_titles = {_norm_title(t) for t in taken_titles}
    usage: dict[tuple[str, str, str], int] = {}
    queues: dict[tuple[str, int], list] = {}
    for category, d in dict.fromkeys(cells):
        bank = banks[category]
        combos = list(product(bank.techniques, bank.exercises, bank.twists))
        random.Random(f"{seed}:{GENERATOR_VERSION}:{category}:{d}").shuffle(combos)
        queues[(category, d)] = combos
    for category in sorted({c for c, _ in queues}):  # earlier generated lessons count as usage
        bank = banks[category]
        for (t, ex, w), d in product(product(bank.techniques, bank.exercises, bank.twists), TWISTS):
            if _slug(category, t, ex, w, d) in used_slugs:
                for key in (("technique", t.id), ("exercise", ex.id), ("twist", w.id)):
                    usage[(category, *key)] = usage.get((category, *key), 0) + 1
    results: list[GeneratedLesson] = []
    active = list(cells)
    while len(results) < count and active:
        for cell in list(active):
            if len(results) >= count:
                break
            lesson = _next_lesson(banks[cell[0]], cell, queues[cell], usage, seed, style,
                                  prereqs.get(cell[0], []), used_slugs, used_titles, used_hashes, authored)
            if lesson is None:
                active = [c for c in active if c != cell]
                continue
            results.append(lesson)
    return results


def _next_lesson(bank: CategoryBank, cell: tuple[str, int], queue: list, usage: dict, seed: int,
                 style: str | None, prereqs: list[tuple[str, int]], used_slugs: set[str],
                 used_titles: set[str], used_hashes: set[str], authored: frozenset[str]) -> GeneratedLesson | None:
    """Take the least-used remaining combination of the cell that yields a new, valid lesson."""
    category, d = cell
    while queue:
        def cost(i: int) -> tuple:
            t, ex, w = queue[i]
            return (usage.get((category, "technique", t.id), 0), usage.get((category, "exercise", ex.id), 0),
                    usage.get((category, "twist", w.id), 0), i)
        t, ex, w = queue.pop(min(range(len(queue)), key=cost))
        if _slug(category, t, ex, w, d) in used_slugs:
            continue
        lesson = _build(bank, (t, ex, w), d, seed, style, prereqs, authored)
        if lesson is None:
            continue
        spec = lesson.spec
        digest = spec.content_hash()
        if _norm_title(spec.title) in used_titles or digest in used_hashes:
            continue
        try:
            validate_lesson(spec, categories=set(load_bank()), source=f"generated:{spec.slug}")
        except CatalogError as exc:  # a bank defect: skip the combination, keep the batch going
            log.warning("skipping invalid generated lesson: %s", exc)
            continue
        used_slugs.add(spec.slug)
        used_titles.add(_norm_title(spec.title))
        used_hashes.add(digest)
        for key in (("technique", t.id), ("exercise", ex.id), ("twist", w.id)):
            usage[(category, *key)] = usage.get((category, *key), 0) + 1
        return lesson
    return None

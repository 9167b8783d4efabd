"""Explainable lesson recommendations.

``rank`` is a pure function of a small snapshot (categories, candidate lessons, the learner's
records, their style), so its promises can be checked on generated histories; the selector
``lesson_recommendations`` loads that snapshot in a fixed number of queries and is computed on
every call, so it is never stale after a progress change.

Promises:
- never a completed lesson, never one with an unfinished prerequisite;
- difficulty within one step of the learner's level in the lesson's category, where the level
  is the highest difficulty completed there with a passing check score (a failed check score
  counts one step lower; a category not started yet is level 1);
- balanced: lagging categories score higher and every pick lowers the next pick from the same
  category, so the list spreads over categories; a category's share is its progress bar's
  figure (completions of published lessons out of its published lessons), so "your lowest
  category" names the category whose bar is lowest and never a complete one;
- deterministic: ties break on category order, difficulty, title and slug;
- every item carries a score and the human-readable reasons that produced it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from accounts.models import User
from accounts.selectors import preferences_of
from lessons import fastpaths
from lessons.models import LessonProgress

PASSING_SCORE = 0.6
MAX_LIMIT = 20
# Weights of the score's parts (see the module docstring); documented so the reasons add up.
W_IN_PROGRESS = 3.0
W_NEXT_STEP = 1.0
W_FIRST_IN_CATEGORY = 2.0  # a category's first lesson is a next step too, without a prerequisite to name
W_STEP_UP = 1.0
W_AT_LEVEL = 0.8
W_REVIEW = 0.2
W_STYLE = 0.75
W_LAGGING = 3.0  # times the gap between the category's completed share and the learner's best category's
W_FIRST = 0.5
SAME_CATEGORY_PENALTY = 0.75
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    slug: str
    name: str
    order: int
    published: int


@dataclass(frozen=True)
class Candidate:
    id: int
    slug: str
    title: str
    category_id: int
    difficulty: int
    style: str
    minutes: int
    summary: str
    prerequisite_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Record:
    """One of the learner's LessonProgress rows, with what ranking needs of its lesson."""

    lesson_id: int
    category_id: int
    difficulty: int
    style: str
    title: str
    status: str
    score: float | None
    completed_at: datetime | None
    published: bool = True


@dataclass
class Recommendation:
    lesson: Candidate
    category: CategoryInfo
    status: str
    level: int
    score: float
    reasons: list[str] = field(default_factory=list)


def category_levels(*, records: list[Record], categories: list[CategoryInfo]) -> dict[int, int]:
    """The learner's level (1..5) per category, informed by check scores."""
    levels = {c.id: 1 for c in categories}
    for r in records:
        if r.status != LessonProgress.Status.COMPLETED:
            continue
        shown = r.difficulty if r.score is None or r.score >= PASSING_SCORE else r.difficulty - 1
        levels[r.category_id] = max(levels.get(r.category_id, 1), min(5, max(1, shown)))
    return levels


def dominant_style(*, records: list[Record]) -> str | None:
    """The style of most completed lessons, when at least three are done and one style leads."""
    styles = Counter(r.style for r in records if r.status == LessonProgress.Status.COMPLETED)
    if sum(styles.values()) < 3:
        return None
    (first, n), *rest = styles.most_common(2) + [("", 0)]
    return first if n > rest[0][1] else None


def rank(*, categories: list[CategoryInfo], lessons: list[Candidate], records: list[Record],
         preferred_style: str | None, limit: int) -> list[Recommendation]:
    """Rank ``lessons`` for the learner described by ``records``; see the module's promises."""
    by_category = {c.id: c for c in categories}
    state = {r.lesson_id: r for r in records}
    completed = {r.lesson_id for r in records if r.status == LessonProgress.Status.COMPLETED}
    levels = category_levels(records=records, categories=categories)
    # A category's share counts what its progress bar counts: completions of published lessons.
    done_in = Counter(r.category_id for r in records if r.status == LessonProgress.Status.COMPLETED and r.published)
    shares = {c.id: (done_in[c.id] / c.published if c.published else 1.0) for c in categories}
    open_shares = [shares[c.id] for c in categories if c.published]
    top_share = max(open_shares, default=0.0)
    low_share = min(open_shares, default=0.0)
    style = preferred_style or dominant_style(records=records)
    cold = not completed
    scored: list[Recommendation] = []
    for lesson in lessons:
        category = by_category.get(lesson.category_id)
        level = levels.get(lesson.category_id, 1)
        if (category is None or lesson.id in completed or abs(lesson.difficulty - level) > 1
                or any(p not in completed for p in lesson.prerequisite_ids)):
            continue
        record = state.get(lesson.id)
        status = record.status if record else LessonProgress.Status.NOT_STARTED
        score, reasons = 0.0, []
        if status == LessonProgress.Status.IN_PROGRESS:
            score += W_IN_PROGRESS
            reasons.append("you started this lesson")
        if lesson.prerequisite_ids:
            latest = max((state[p] for p in lesson.prerequisite_ids), key=lambda r: (r.completed_at or NEVER, r.title))
            score += W_NEXT_STEP
            reasons.append(f"next step after {latest.title}")
        if done_in[category.id] == 0 and lesson.difficulty == 1:
            score += W_FIRST_IN_CATEGORY
            reasons.append(f"a first lesson in {category.name}")
        elif lesson.difficulty == level + 1:
            score += W_STEP_UP
            reasons.append(f"a step up from your level {level} in {category.name}")
        elif lesson.difficulty == level:
            score += W_AT_LEVEL
            reasons.append(f"at your level in {category.name}")
        else:
            score += W_REVIEW
            reasons.append(f"a gentle review in {category.name}")
        if style and lesson.style == style:
            score += W_STYLE
            reasons.append(f"matches your {style} style")
        gap = top_share - shares[category.id]
        if gap > 0:
            score += W_LAGGING * gap
            reasons.append("your lowest category" if shares[category.id] == low_share
                           else f"helps you catch up in {category.name}")
        if cold and not lesson.prerequisite_ids:
            score += W_FIRST
            reasons.append("no prerequisites: a good place to start")
        scored.append(Recommendation(lesson=lesson, category=category, status=status, level=level,
                                     score=score, reasons=reasons))
    return _pick_balanced(scored, limit)


def _pick_balanced(scored: list[Recommendation], limit: int) -> list[Recommendation]:
    """Greedy pick: each pick lowers the rest of its category by SAME_CATEGORY_PENALTY."""
    picked: list[Recommendation] = []
    taken: Counter = Counter()
    pool = list(scored)
    while pool and len(picked) < limit:
        def key(rec: Recommendation) -> tuple:
            adjusted = rec.score - SAME_CATEGORY_PENALTY * taken[rec.category.id]
            return (-round(adjusted, 6), rec.category.order, rec.lesson.difficulty, rec.lesson.title, rec.lesson.slug)
        best = min(pool, key=key)
        pool.remove(best)
        best.score = round(best.score - SAME_CATEGORY_PENALTY * taken[best.category.id], 3)
        taken[best.category.id] += 1
        picked.append(best)
    return picked


# --- loading the snapshot ----------------------------------------------------------------------

def _preferred_style(user: User) -> str | None:
    return preferences_of(user=user).preferred_style or None


def lesson_recommendations(*, user: User, limit: int = 5) -> list[Recommendation]:
    """Ranked recommendations for ``user``; five queries whatever the history's length, four of them hand-written
    (lessons.fastpaths)."""
    limit = max(1, min(MAX_LIMIT, int(limit)))
    categories = [CategoryInfo(id=pk, slug=slug, name=name, order=order, published=published)
                  for pk, slug, name, order, published in fastpaths.categories_with_published()]
    records = [
        Record(lesson_id=row[0], category_id=row[1], difficulty=row[2], style=row[3], title=row[4], status=row[5],
               score=row[6], completed_at=row[7], published=row[8])
        for row in fastpaths.progress_records(user_id=user.pk)
    ]
    levels = category_levels(records=records, categories=categories)
    completed = [r.lesson_id for r in records if r.status == LessonProgress.Status.COMPLETED]
    # Categories at the same level share one condition: a few levels, however many categories.
    at_level: dict[int, list[int]] = {}
    for category_id, level in levels.items():
        at_level.setdefault(level, []).append(category_id)
    rows = fastpaths.candidates(reach=at_level, completed=completed)
    prerequisites: dict[int, list[int]] = {}
    for from_id, to_id in fastpaths.prerequisite_links(lesson_ids=[row[0] for row in rows]):
        prerequisites.setdefault(from_id, []).append(to_id)
    lessons = [
        Candidate(id=pk, slug=slug, title=title, category_id=category_id, difficulty=difficulty, style=style,
                  minutes=minutes, summary=summary, prerequisite_ids=tuple(sorted(prerequisites.get(pk, ()))))
        for pk, slug, title, category_id, difficulty, style, minutes, summary in rows
    ]
    return rank(categories=categories, lessons=lessons, records=records, preferred_style=_preferred_style(user),
                limit=limit)

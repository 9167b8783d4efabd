"""Hand-written statements for the lesson page's and the recommendations' reads, the one place the lessons app
bypasses the ORM.

A lesson by its slug, with its category, is the first read of every lesson page and every lesson
action (``published_lesson``). A search page's results carry the learner's status on each (``lesson_statuses``). The catalog (``lessons/`` without a filter, the list every learner opens) is a page of published
lessons with the learner's status on each: ``CatalogPage``, which Django's paginator slices. A
lesson page (``lessons/{slug}/`` and the dashboard's lesson viewer) shows the lesson's
neighbours in catalog order, its prerequisites with the learner's completion of each, its checks
and the learner's record (those two as model instances, through ``Manager.raw``); the
recommendations (``lessons/recommendations/`` and the home page) read the categories with their
published counts, the learner's lesson rows and the candidate lessons. The ORM forms of these
reads (a ``FilteredRelation`` join, ordered OR filters, an ``Exists`` annotation, a filtered count, a few joins) took several
times longer to compile than the database takes to answer (docs/performance.md P9). These
statements compute what those ORM expressions did, with every name read from the models'
metadata and every value passed as a parameter (a list of ids as one, ``controlpanel.sql.among``);
datetimes and booleans pass through the ORM's own converters (``controlpanel.sql``).
``tests/lessons/test_fastpaths.py`` holds each equal to its ORM expression on generated catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection

from controlpanel.sql import among, column, convert_row, fetch_all, model_converters
from lessons.models import Category, Lesson, LessonCheck, LessonProgress


def _lesson_col(field: str, table: str = "l") -> str:
    return f"{table}.{column(connection, Lesson, field)}"


def _progress_col(field: str) -> str:
    """A learner-record column under the alias ``p`` the statements give the lesson records' table."""
    return f"p.{column(connection, LessonProgress, field)}"


@dataclass(frozen=True)
class CategoryRef:
    slug: str
    name: str


@dataclass(frozen=True)
class CatalogRow:
    """A catalog lesson with the learner's status, under the attribute names ``lesson_list``'s rows carry."""

    slug: str
    title: str
    category: CategoryRef
    difficulty: int
    style: str
    minutes: int
    summary: str
    tags: list
    source: str
    user_status: str
    user_score: float | None
    user_best_score: float | None


class CatalogPage:
    """The published catalog in ``selectors.lesson_list``'s order (category order, difficulty, title, id) with
    the learner's status, for Django's ``Paginator``: ``count()`` and each ``[start:stop]`` are one statement."""

    def __init__(self, *, user_id: int) -> None:
        self.user_id = user_id

    def count(self) -> int:
        table = connection.ops.quote_name(Lesson._meta.db_table)
        return fetch_all(connection, f"SELECT COUNT(*) FROM {table} l WHERE {_lesson_col('is_published')} = %s",  # noqa: S608
                         [True])[0][0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[CatalogRow]:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("a catalog page is read by a slice")
        start = window.start or 0
        stop = self.count() if window.stop is None else window.stop
        if stop <= start:
            return []
        q = connection.ops.quote_name

        def category(field: str) -> str:
            return f"c.{column(connection, Category, field)}"

        sql = (f"SELECT {_lesson_col('slug')}, {_lesson_col('title')}, {category('slug')}, {category('name')}, "  # noqa: S608
               f"{_lesson_col('difficulty')}, {_lesson_col('style')}, {_lesson_col('minutes')}, {_lesson_col('summary')}, "
               f"{_lesson_col('tags')}, {_lesson_col('source')}, COALESCE({_progress_col('status')}, %s), {_progress_col('score')}, "
               f"{_progress_col('best_score')} FROM {q(Lesson._meta.db_table)} l "
               f"INNER JOIN {q(Category._meta.db_table)} c ON {category('id')} = {_lesson_col('category')} "
               f"LEFT JOIN {q(LessonProgress._meta.db_table)} p ON {_progress_col('lesson')} = {_lesson_col('id')} "
               f"AND {_progress_col('user')} = %s WHERE {_lesson_col('is_published')} = %s "
               f"ORDER BY {category('order')}, {_lesson_col('difficulty')}, {_lesson_col('title')}, {_lesson_col('id')} "
               f"LIMIT %s OFFSET %s")
        rows = fetch_all(connection, sql, [LessonProgress.Status.NOT_STARTED, self.user_id, True, stop - start, start])
        tags = model_converters(connection, Lesson, "tags")
        return [CatalogRow(slug=slug, title=title, category=CategoryRef(slug=category_slug, name=category_name),
                           difficulty=difficulty, style=style, minutes=minutes, summary=summary,
                           tags=convert_row(connection, [raw_tags], tags)[0], source=source, user_status=status,
                           user_score=score, user_best_score=best)
                for (slug, title, category_slug, category_name, difficulty, style, minutes, summary, raw_tags, source,
                     status, score, best) in rows]


def published_lesson(*, slug: str) -> Lesson | None:
    """The published lesson ``slug`` with its category loaded (``lesson.category``, no further query), as
    ``Lesson.objects.published().select_related("category").filter(slug=slug).first()`` gives it; or None."""
    sql, lesson_fields, category_fields = _published_lesson_statement(connection.vendor)
    rows = fetch_all(connection, sql, [slug, True])
    if not rows:
        return None
    split = len(lesson_fields)
    lesson = Lesson.from_db(connection.alias, [f.attname for f in lesson_fields], convert_row(
        connection, rows[0][:split], model_converters(connection, Lesson, *(f.name for f in lesson_fields))))
    lesson.category = Category.from_db(connection.alias, [f.attname for f in category_fields], convert_row(
        connection, rows[0][split:], model_converters(connection, Category, *(f.name for f in category_fields))))
    return lesson


@cache
def _published_lesson_statement(vendor: str) -> tuple[str, list, list]:
    q = connection.ops.quote_name
    lesson_fields, category_fields = list(Lesson._meta.concrete_fields), list(Category._meta.concrete_fields)
    picked = ", ".join([f"l.{q(f.column)}" for f in lesson_fields] + [f"c.{q(f.column)}" for f in category_fields])
    sql = (f"SELECT {picked} FROM {q(Lesson._meta.db_table)} l "  # noqa: S608
           f"INNER JOIN {q(Category._meta.db_table)} c ON c.{column(connection, Category, 'id')} = {_lesson_col('category')} "
           f"WHERE {_lesson_col('slug')} = %s AND {_lesson_col('is_published')} = %s")
    return sql, lesson_fields, category_fields



def lesson_statuses(*, user_id: int, lesson_ids: list[int]) -> dict[int, str]:
    """The learner's status on each of ``lesson_ids`` that has a row (one at most per lesson: a unique constraint)."""
    table = connection.ops.quote_name(LessonProgress._meta.db_table)
    lesson, user, status = (f"p.{column(connection, LessonProgress, name)}" for name in ("lesson", "user", "status"))
    within, ids = among(connection, lesson, lesson_ids)
    return dict(fetch_all(connection, f"SELECT {lesson}, {status} FROM {table} p WHERE {user} = %s AND {within}",  # noqa: S608
                          [user_id, ids]))


def neighbours(*, category_id: int, difficulty: int, title: str) -> tuple[tuple | None, tuple | None]:
    """The published lessons just before and just after (``difficulty``, ``title``) in the category, in catalog
    order (difficulty, then title), as ``(slug, title, difficulty)`` or None; one statement."""
    table = connection.ops.quote_name(Lesson._meta.db_table)
    picked = f"{_lesson_col('slug')}, {_lesson_col('title')}, {_lesson_col('difficulty')}"
    same = f"{_lesson_col('category')} = %s AND {_lesson_col('is_published')} = %s"
    level, name = _lesson_col("difficulty"), _lesson_col("title")

    def side(n: int, compare: str, order: str) -> str:
        return (f"SELECT {n}, s.* FROM (SELECT {picked} FROM {table} l WHERE {same} "  # noqa: S608
                f"AND ({level} {compare} %s OR ({level} = %s AND {name} {compare} %s)) "
                f"ORDER BY {level} {order}, {name} {order} LIMIT 1) s")

    params = [category_id, True, difficulty, difficulty, title]
    rows = fetch_all(connection, f"{side(0, '<', 'DESC')} UNION ALL {side(1, '>', 'ASC')}", params * 2)
    sides = {row[0]: tuple(row[1:]) for row in rows}
    return sides.get(0), sides.get(1)


def prerequisites(*, lesson_id: int, user_id: int) -> list[tuple[str, str, int, bool]]:
    """The lesson's prerequisites in catalog order as ``(slug, title, difficulty, completed)``, ``completed``
    saying whether the learner has completed each; one statement."""
    q = connection.ops.quote_name
    through = Lesson.prerequisites.through
    link, lp = q(through._meta.db_table), q(LessonProgress._meta.db_table)
    from_lesson, to_lesson = (f"m.{column(connection, through, name)}" for name in ("from_lesson", "to_lesson"))

    sql = (f"SELECT {_lesson_col('slug')}, {_lesson_col('title')}, {_lesson_col('difficulty')}, "  # noqa: S608
           f"EXISTS (SELECT 1 FROM {lp} p WHERE {_progress_col('user')} = %s AND {_progress_col('lesson')} = {_lesson_col('id')} "
           f"AND {_progress_col('status')} = %s) "
           f"FROM {q(Lesson._meta.db_table)} l INNER JOIN {link} m ON {to_lesson} = {_lesson_col('id')} "
           f"WHERE {from_lesson} = %s ORDER BY {_lesson_col('difficulty')}, {_lesson_col('title')}")
    rows = fetch_all(connection, sql, [user_id, LessonProgress.Status.COMPLETED, lesson_id])
    return [(slug, title, difficulty, bool(done)) for slug, title, difficulty, done in rows]


def lesson_checks(*, lesson_id: int) -> list[LessonCheck]:
    """The lesson's checks in order, as ``lesson.checks.order_by("order")`` gives them."""
    lesson, order = (column(connection, LessonCheck, name) for name in ("lesson", "order"))
    return list(LessonCheck.objects.raw(
        f"SELECT * FROM {connection.ops.quote_name(LessonCheck._meta.db_table)} WHERE {lesson} = %s "  # noqa: S608
        f"ORDER BY {order}", [lesson_id]))


def lesson_record(*, user_id: int, lesson_id: int) -> LessonProgress | None:
    """The learner's row for the lesson (one at most: a unique constraint), or None."""
    user, lesson = (column(connection, LessonProgress, name) for name in ("user", "lesson"))
    rows = LessonProgress.objects.raw(
        f"SELECT * FROM {connection.ops.quote_name(LessonProgress._meta.db_table)} "  # noqa: S608
        f"WHERE {user} = %s AND {lesson} = %s", [user_id, lesson_id])
    return next(iter(rows), None)


def categories_with_published() -> list[tuple[int, str, str, int, int]]:
    """Every category in catalog order (``order``, then ``name``) as ``(id, slug, name, order, published)``,
    ``published`` counting its published lessons."""
    q = connection.ops.quote_name

    def col(field: str) -> str:
        return f"c.{column(connection, Category, field)}"

    return fetch_all(connection, 
        f"SELECT {col('id')}, {col('slug')}, {col('name')}, {col('order')}, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {q(Lesson._meta.db_table)} l WHERE {_lesson_col('category')} = {col('id')} "
        f"AND {_lesson_col('is_published')} = %s) FROM {q(Category._meta.db_table)} c ORDER BY {col('order')}, {col('name')}",
        [True])


RECORD_FIELDS = ("lesson_id", "lesson__category_id", "lesson__difficulty", "lesson__style", "lesson__title", "status",
                 "score", "completed_at", "lesson__is_published")


def progress_records(*, user_id: int) -> list[tuple]:
    """The learner's lesson rows with their lessons, as ``LessonProgress.objects.filter(user=...)
    .values_list(*RECORD_FIELDS)`` gives them (in no particular order)."""
    q = connection.ops.quote_name

    rows = fetch_all(connection, 
        f"SELECT {_progress_col('lesson')}, {_lesson_col('category')}, {_lesson_col('difficulty')}, {_lesson_col('style')}, "  # noqa: S608
        f"{_lesson_col('title')}, {_progress_col('status')}, {_progress_col('score')}, {_progress_col('completed_at')}, "
        f"{_lesson_col('is_published')} FROM {q(LessonProgress._meta.db_table)} p "
        f"INNER JOIN {q(Lesson._meta.db_table)} l ON {_lesson_col('id')} = {_progress_col('lesson')} "
        f"WHERE {_progress_col('user')} = %s", [user_id])
    completed_at = model_converters(connection, LessonProgress, "completed_at")
    published = model_converters(connection, Lesson, "is_published")
    return [(*row[:7], convert_row(connection, [row[7]], completed_at)[0], convert_row(connection, [row[8]], published)[0])
            for row in rows]


CANDIDATE_FIELDS = ("pk", "slug", "title", "category_id", "difficulty", "style", "minutes", "summary")


def candidates(*, reach: dict[int, list[int]], completed: list[int]) -> list[tuple]:
    """The published lessons within one difficulty of a level in its categories (``reach``: level -> category
    ids), other than ``completed``, as ``(*CANDIDATE_FIELDS)`` (in no particular order)."""
    reaches, params = [], [True]
    for level, category_ids in sorted(reach.items()):
        in_category, ids = among(connection, _lesson_col("category"), category_ids)
        reaches.append(f"({in_category} AND {_lesson_col('difficulty')} BETWEEN %s AND %s)")
        params += [ids, level - 1, level + 1]
    if not reaches:
        return []
    not_done, done = among(connection, _lesson_col("id"), completed, negate=True)
    picked = ", ".join(_lesson_col("id" if name == "pk" else name) for name in CANDIDATE_FIELDS)
    return fetch_all(connection, f"SELECT {picked} FROM {connection.ops.quote_name(Lesson._meta.db_table)} l "  # noqa: S608
                  f"WHERE {_lesson_col('is_published')} = %s AND ({' OR '.join(reaches)}) AND {not_done}",
                  [*params, done])


def prerequisite_links(*, lesson_ids: list[int]) -> list[tuple[int, int]]:
    """``(lesson id, prerequisite id)`` for every prerequisite of ``lesson_ids``."""
    if not lesson_ids:
        return []
    through = Lesson.prerequisites.through
    from_lesson, to_lesson = (column(connection, through, name) for name in ("from_lesson", "to_lesson"))
    linked, ids = among(connection, from_lesson, lesson_ids)
    return fetch_all(connection, f"SELECT {from_lesson}, {to_lesson} FROM {connection.ops.quote_name(through._meta.db_table)} "  # noqa: S608
                  f"WHERE {linked}", [ids])

"""The lesson page's hand-written statements equal the ORM expressions they replace, on generated catalogs."""

import pytest
from django.db.models import Exists, OuterRef, Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons import fastpaths
from lessons.models import Lesson, LessonProgress
from tests.lessons.factories import CategoryFactory, LessonFactory

pytestmark = pytest.mark.django_db

# Titles that tie on difficulty and differ by case, accents and punctuation: the database's collation orders them.
TITLES = ["apple", "Apple pie", "banana", "Banana", "éclair", "eclair", "zest", "Zest!", "1 two", "mango"]
lesson_specs = st.lists(st.tuples(st.sampled_from(TITLES), st.integers(1, 3), st.integers(0, 1), st.booleans()),
                        min_size=1, max_size=10, unique_by=lambda spec: spec[0])


def orm_neighbour(lesson: Lesson, *, before: bool):
    same = Lesson.objects.published().filter(category_id=lesson.category_id)
    if before:
        qs = same.filter(Q(difficulty__lt=lesson.difficulty) | Q(difficulty=lesson.difficulty, title__lt=lesson.title))
        qs = qs.order_by("-difficulty", "-title")
    else:
        qs = same.filter(Q(difficulty__gt=lesson.difficulty) | Q(difficulty=lesson.difficulty, title__gt=lesson.title))
        qs = qs.order_by("difficulty", "title")
    return qs.values_list("slug", "title", "difficulty").first()


def orm_prerequisites(lesson: Lesson, user) -> list[tuple]:
    done = LessonProgress.objects.filter(user=user, lesson=OuterRef("pk"), status=LessonProgress.Status.COMPLETED)
    return list(lesson.prerequisites.annotate(completed=Exists(done)).order_by("difficulty", "title")
                .values_list("slug", "title", "difficulty", "completed"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=lesson_specs, links=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=12),
       statuses=st.dictionaries(st.integers(0, 9), st.sampled_from(LessonProgress.Status.values)))
def test_neighbours_and_prerequisites_equal_the_orm(user, other_user, specs, links, statuses):
    Lesson.objects.all().delete()
    categories = [CategoryFactory(), CategoryFactory()]
    lessons = [LessonFactory(title=title, difficulty=difficulty, category=categories[category], is_published=published)
               for title, difficulty, category, published in specs]
    for a, b in links:
        if a < len(lessons) and b < len(lessons) and a != b:
            lessons[a].prerequisites.add(lessons[b])
    for n, status in statuses.items():
        if n < len(lessons):
            LessonProgress.objects.create(user=user if n % 3 else other_user, lesson=lessons[n], status=status)
    for lesson in lessons:
        assert fastpaths.neighbours(category_id=lesson.category_id, difficulty=lesson.difficulty,
                                    title=lesson.title) == (orm_neighbour(lesson, before=True),
                                                            orm_neighbour(lesson, before=False))
        assert fastpaths.prerequisites(lesson_id=lesson.pk, user_id=user.pk) == orm_prerequisites(lesson, user)


def orm_candidates(reach: dict[int, list[int]], completed: list[int]) -> list[tuple]:
    within = Q(pk__in=[])
    for level, category_ids in sorted(reach.items()):
        within |= Q(category_id__in=category_ids, difficulty__range=(level - 1, level + 1))
    return list(Lesson.objects.published().filter(within).exclude(pk__in=completed)
                .values_list(*fastpaths.CANDIDATE_FIELDS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=lesson_specs, links=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=12),
       rows=st.dictionaries(st.integers(0, 9), st.tuples(st.sampled_from(LessonProgress.Status.values),
                                                          st.none() | st.sampled_from([0.0, 0.5, 1.0]), st.booleans())),
       reach=st.dictionaries(st.integers(1, 5), st.lists(st.integers(0, 2), max_size=3), max_size=3),
       empty_category=st.booleans())
def test_the_recommendations_reads_equal_the_orm(user, other_user, specs, links, rows, reach, empty_category):
    from datetime import UTC, datetime

    from django.db.models import Count

    from lessons.models import Category

    Lesson.objects.all().delete()
    Category.objects.all().delete()
    categories = [CategoryFactory(), CategoryFactory(), *([CategoryFactory()] if empty_category else [])]
    lessons = [LessonFactory(title=title, difficulty=difficulty, category=categories[category], is_published=published)
               for title, difficulty, category, published in specs]
    for a, b in links:
        if a < len(lessons) and b < len(lessons) and a != b:
            lessons[a].prerequisites.add(lessons[b])
    for n, (status, score, mine) in rows.items():
        if n < len(lessons):
            done = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC) if status == LessonProgress.Status.COMPLETED else None
            LessonProgress.objects.create(user=user if mine else other_user, lesson=lessons[n], status=status,
                                          score=score, completed_at=done)

    assert fastpaths.categories_with_published() == list(
        Category.objects.annotate(published=Count("lessons", filter=Q(lessons__is_published=True)))
        .order_by("order", "name").values_list("pk", "slug", "name", "order", "published"))
    expected = LessonProgress.objects.filter(user=user).values_list(*fastpaths.RECORD_FIELDS)
    assert sorted(fastpaths.progress_records(user_id=user.pk)) == sorted(expected)
    by_id = {n: c.pk for n, c in enumerate(categories)}
    ids_reach = {level: [by_id[n] for n in ns if n in by_id] for level, ns in reach.items()}
    completed = [row.lesson_id for row in LessonProgress.objects.filter(user=user, status="completed")]
    assert sorted(fastpaths.candidates(reach=ids_reach, completed=completed)) == sorted(
        orm_candidates(ids_reach, completed))
    ids = [lesson.pk for lesson in lessons]
    through = Lesson.prerequisites.through
    assert sorted(fastpaths.prerequisite_links(lesson_ids=ids)) == sorted(
        through.objects.filter(from_lesson_id__in=ids).values_list("from_lesson_id", "to_lesson_id"))


def field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(checks=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 3)), max_size=5, unique_by=lambda c: c[0]),
       record=st.none() | st.tuples(st.sampled_from(LessonProgress.Status.values), st.none() | st.sampled_from([0.0, 0.5, 1.0]),
                                    st.dictionaries(st.sampled_from(["0", "1", "2"]), st.integers(0, 3)),
                                    st.lists(st.none() | st.integers(0, 3), max_size=3)))
def test_a_lesson_pages_checks_and_record_equal_the_orms(user, other_user, checks, record):
    from datetime import UTC, datetime

    from tests.lessons.factories import LessonCheckFactory

    Lesson.objects.all().delete()
    lesson, other = LessonFactory(), LessonFactory()
    for order, answer in checks:
        LessonCheckFactory(lesson=lesson, order=order, answer=answer)
    LessonCheckFactory(lesson=other, order=0)
    LessonProgress.objects.create(user=other_user, lesson=lesson, status="completed",
                                  completed_at=datetime(2026, 3, 2, tzinfo=UTC))
    if record is not None:
        status, score, first, last = record
        LessonProgress.objects.create(
            user=user, lesson=lesson, status=status, score=score, first_answers=first, last_answers=last,
            completed_at=datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC) if status == "completed" else None)
    assert [field_values(c) for c in fastpaths.lesson_checks(lesson_id=lesson.pk)] == \
        [field_values(c) for c in lesson.checks.order_by("order")]
    found, expected = (fastpaths.lesson_record(user_id=user.pk, lesson_id=lesson.pk),
                       LessonProgress.objects.filter(user=user, lesson=lesson).first())
    assert (found is None) == (expected is None)
    if expected is not None:
        assert field_values(found) == field_values(expected)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=lesson_specs, orders=st.lists(st.integers(0, 2), min_size=2, max_size=2),
       rows=st.dictionaries(st.integers(0, 9), st.tuples(st.sampled_from(LessonProgress.Status.values),
                                                         st.none() | st.sampled_from([0.0, 0.5, 1.0]),
                                                         st.none() | st.sampled_from([0.25, 1.0]))),
       tags=st.lists(st.sampled_from(["ink", "clay", "light"]), max_size=3),
       windows=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 12)), min_size=1, max_size=4))
def test_the_catalog_pages_equal_the_lesson_list(user, other_user, specs, orders, rows, tags, windows):
    """Every page of the unfiltered catalog, its count and each row's fields, as ``lesson_list`` gives them."""
    from lessons.api.serializers import LessonListOutputSerializer
    from lessons.selectors import catalog_page, lesson_list

    Lesson.objects.all().delete()
    categories = [CategoryFactory(order=order) for order in orders]
    lessons = [LessonFactory(title=title, difficulty=difficulty, category=categories[category], is_published=published,
                             tags=tags[: len(title) % 4])
               for title, difficulty, category, published in specs]
    for n, (status, score, best) in rows.items():
        if n < len(lessons):
            LessonProgress.objects.create(user=user if n % 3 else other_user, lesson=lessons[n], status=status,
                                          score=score, best_score=best)
    fast, orm = catalog_page(user=user), lesson_list(user=user)
    assert fast.count() == orm.count() == len(fast)
    for start, size in windows:
        assert LessonListOutputSerializer.represent_many(fast[start:start + size]) == \
            LessonListOutputSerializer.represent_many(orm[start:start + size])
    assert LessonListOutputSerializer.represent_many(fast[0:None]) == LessonListOutputSerializer.represent_many(orm)


def test_the_catalog_without_a_filter_answers_as_the_serializer_over_the_lesson_list(auth_client, catalog):
    """The API's unfiltered list (written statements) gives the pages the declared serializer gives over
    ``lesson_list``'s queryset (the path every filtered request takes), count and links included."""
    from lessons.api.serializers import LessonListOutputSerializer
    from lessons.selectors import lesson_list

    user = auth_client.user
    lessons = list(Lesson.objects.published().order_by("category__order", "difficulty", "title", "id"))
    LessonProgress.objects.create(user=user, lesson=lessons[1], status="completed", score=0.5, best_score=1.0)
    LessonProgress.objects.create(user=user, lesson=lessons[4], status="in_progress")
    for number, size in ((1, 20), (2, 3), (1, 100), (99, 4)):
        body = auth_client.get(f"/api/v1/lessons/?page={number}&page_size={size}").json()
        last = -(-len(lessons) // size)
        shown = min(number, last)
        expected = LessonListOutputSerializer(lesson_list(user=user)[(shown - 1) * size:shown * size], many=True).data
        assert body["count"] == len(lessons)
        assert body["results"] == expected and body["results"]
        assert (body["next"] is None) == (shown == last)
    first = auth_client.get("/api/v1/lessons/?page_size=5").json()["results"]
    assert [row["slug"] for row in first] == [lesson.slug for lesson in lessons[:5]]
    assert first[1]["status"] == "completed" and first[1]["mastery"] == "mastered" and first[4]["status"] == "in_progress"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.dictionaries(st.integers(0, 7), st.tuples(st.sampled_from(LessonProgress.Status.values), st.booleans())),
       asked=st.lists(st.integers(0, 9), max_size=12))
def test_lesson_statuses_equal_the_orm(user, other_user, rows, asked):
    from lessons.selectors import lesson_statuses

    Lesson.objects.all().delete()
    lessons = LessonFactory.create_batch(8)
    for n, (status, theirs) in rows.items():  # another learner's rows must never show
        LessonProgress.objects.create(user=other_user if theirs else user, lesson=lessons[n], status=status)
    ids = [lessons[n].pk if n < len(lessons) else 10**6 + n for n in asked]  # unknown ids are simply absent
    expected = dict(LessonProgress.objects.filter(user=user, lesson_id__in=ids).values_list("lesson_id", "status"))
    assert lesson_statuses(user=user, lesson_ids=ids) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=lesson_specs, asked=st.lists(st.integers(0, 11), min_size=1, max_size=4),
       tags=st.lists(st.sampled_from(["ink", "clay", "light"]), max_size=3))
def test_a_published_lesson_with_its_category_equals_the_orms(specs, asked, tags):

    Lesson.objects.all().delete()
    categories = [CategoryFactory(), CategoryFactory()]
    lessons = [LessonFactory(title=title, difficulty=difficulty, category=categories[category], is_published=published,
                             tags=tags)
               for title, difficulty, category, published in specs]
    for n in asked:
        slug = lessons[n].slug if n < len(lessons) else f"no-such-lesson-{n}"
        found = fastpaths.published_lesson(slug=slug)
        expected = Lesson.objects.published().select_related("category").filter(slug=slug).first()
        assert (found is None) == (expected is None)
        if expected is not None:
            assert not found._state.adding and found._state.db == expected._state.db
            assert field_values(found) == field_values(expected)
            assert field_values(found.category) == field_values(expected.category)
            assert found.category.pk == found.category_id

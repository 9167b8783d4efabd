"""Checks that measure mastery: answers required, first tries that are genuine, retries and mastery, goals."""

import pytest
from django.utils import timezone

from accounts.models import UserPreferences
from lessons.models import LessonProgress
from progress import services
from progress.models import UserAchievement
from progress.selectors import progress_summary
from tests.lessons.factories import CategoryFactory, lesson_with_checks
from tests.pages.conftest import signed_in

pytestmark = pytest.mark.django_db


def right(lesson) -> list[int]:
    return [c.answer for c in lesson.checks.order_by("order")]


def wrong(lesson) -> list[int]:
    return [(c.answer + 1) % len(c.choices) for c in lesson.checks.order_by("order")]


def badges(user) -> set[str]:
    services.achievements_award(user=user)
    return set(UserAchievement.objects.filter(user=user).values_list("achievement__code", flat=True))


def test_checking_an_answer_and_then_picking_the_revealed_one_is_not_a_first_try(auth_client):
    lesson = lesson_with_checks(2)
    wrong_first = (lesson.checks.get(order=0).answer + 1) % 3
    feedback = auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/0/", {"choice": wrong_first}, format="json").json()
    assert (feedback["correct"], feedback["first_try"], feedback["answer"]) == (False, True, 0)
    again = auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/0/", {"choice": 0}, format="json").json()
    assert (again["correct"], again["first_try"]) == (True, False)
    body = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": right(lesson)}, format="json").json()
    assert body["score"] == 1.0  # this attempt's answers were all right...
    assert body["score_of_record"] == 0.5  # ...but check 0's first try was wrong
    assert [(c["first_answer"], c["first_try_correct"]) for c in body["checks"]] == [(wrong_first, False), (1, True)]
    assert body["progress"]["mastery"] == "practising"
    assert "perfect-score" not in badges(auth_client.user)


def test_a_genuine_first_try_with_every_check_right_is_100_percent_sharp_eye_and_mastered(auth_client):
    lesson = lesson_with_checks(3)
    auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/1/", {"choice": 1}, format="json")  # right on its first try
    body = auth_client.post(f"/api/v1/lessons/{lesson.slug}/complete/", {"answers": right(lesson)}, format="json").json()
    assert (body["score_of_record"], body["best_score"], body["progress"]["mastery"]) == (1.0, 1.0, "mastered")
    assert "perfect-score" in badges(auth_client.user)


def test_a_retry_with_every_check_right_masters_the_lesson_without_changing_the_score_of_record(auth_client):
    lesson = lesson_with_checks(2)
    url = f"/api/v1/lessons/{lesson.slug}/complete/"
    first = auth_client.post(url, {"answers": wrong(lesson)}, format="json").json()
    assert (first["score_of_record"], first["progress"]["mastery"]) == (0.0, "practising")
    retry = auth_client.post(url, {"answers": right(lesson)}, format="json").json()
    assert (retry["newly_completed"], retry["score_of_record"], retry["best_score"]) == (False, 0.0, 1.0)
    assert retry["progress"]["mastery"] == "mastered"
    record = LessonProgress.objects.get(user=auth_client.user, lesson=lesson)
    assert (record.score, record.best_score, record.attempts) == (0.0, 1.0, 2)
    assert "perfect-score" not in badges(auth_client.user)
    listed = auth_client.get("/api/v1/lessons/", {"category": lesson.category.slug}).json()["results"][0]
    assert (listed["score"], listed["best_score"], listed["mastery"]) == (0.0, 1.0, "mastered")


def test_answers_and_explanations_are_given_only_for_checks_the_learner_attempted(auth_client):
    lesson = lesson_with_checks(2)
    detail_url = f"/api/v1/lessons/{lesson.slug}/"
    assert [c["attempt"] for c in auth_client.get(detail_url).json()["checks"]] == [None, None]
    auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/1/", {"choice": 0}, format="json")
    checks = auth_client.get(detail_url).json()["checks"]
    assert checks[0]["attempt"] is None
    assert checks[1]["attempt"] == {"first_answer": 0, "first_correct": False, "last_answer": None,
                                    "last_correct": None, "correct_answer": 1,
                                    "explanation": lesson.checks.get(order=1).explanation}
    assert "answer" not in checks[0] and "explanation" not in checks[0]


def test_an_impossible_check_is_a_clear_error_in_the_envelope(auth_client):
    lesson = lesson_with_checks(1)
    missing = auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/5/", {"choice": 0}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (404, "check_not_found")
    bad = auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/0/", {"choice": 7}, format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_choice")
    unknown = auth_client.post(f"/api/v1/lessons/{lesson.slug}/checks/0/", {"choice": 0, "score": 1}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "validation_error")
    assert not LessonProgress.objects.filter(first_answers__has_key="0").exists()


def test_a_completed_lesson_shows_which_answers_were_wrong(user):
    lesson = lesson_with_checks(2)
    answers = [lesson.checks.get(order=0).answer, (lesson.checks.get(order=1).answer + 1) % 3]
    services.lesson_complete(user=user, lesson=lesson, answers=answers)
    html = signed_in(user).get(f"/lessons/{lesson.slug}/").content.decode()
    assert html.count('class="attempt correct"') == 1 and html.count('class="attempt incorrect"') == 1
    check = lesson.checks.get(order=1)
    assert f"was wrong: the answer is “{check.choices[check.answer]}”" in html
    assert "Not mastered yet" in html


def test_the_progress_page_lists_per_lesson_scores_and_mastery(user):
    category = CategoryFactory()
    mastered, practising, started = (lesson_with_checks(2, category=category) for _ in range(3))
    services.lesson_complete(user=user, lesson=mastered, answers=right(mastered))
    services.lesson_complete(user=user, lesson=practising, answers=wrong(practising))
    services.lesson_start(user=user, lesson=started)
    response = signed_in(user).get("/progress/")
    records = {r["slug"]: r for r in response.context["lesson_records"]}
    assert (records[mastered.slug]["mastery"], records[mastered.slug]["score_percent"]) == ("mastered", 100)
    assert (records[practising.slug]["mastery"], records[practising.slug]["score_percent"]) == ("practising", 0)
    assert records[started.slug]["mastery"] == "in_progress"
    html = response.content.decode()
    assert f'data-lesson="{mastered.slug}" data-mastery="mastered"' in html


def test_home_shows_todays_minutes_against_the_daily_goal(user):
    UserPreferences.objects.update_or_create(user=user, defaults={"daily_goal_minutes": 30})
    lesson = lesson_with_checks(1, minutes=20)
    services.lesson_complete(user=user, lesson=lesson, answers=right(lesson), at=timezone.now())
    goal = progress_summary(user=type(user).objects.get(pk=user.pk)).daily_goal
    assert (goal.goal_minutes, goal.today_minutes, goal.met) == (30, 20, False)
    html = signed_in(user).get("/home/").content.decode()
    assert '<dd data-summary="goal">20 <span class="muted">of 30 min</span>' in html

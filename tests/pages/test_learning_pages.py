"""Learner pages: home, the lesson catalog and viewer, and the progress page."""

import re

import pytest
from django.test import Client

from lessons.models import Lesson, LessonProgress
from progress import services as lesson_services
from progress.models import ProgressEvent
from tests.lessons.factories import right_answers
from tests.pages.conftest import assert_clean_html

pytestmark = pytest.mark.django_db


def first_lesson(category: str = "drawing") -> Lesson:
    return Lesson.objects.published().filter(category__slug=category).order_by("difficulty", "title").first()


def answers_for(lesson: Lesson, *, right: bool = True) -> dict[str, str]:
    return {f"check-{c.order}": str(c.answer if right else (c.answer + 1) % len(c.choices)) for c in lesson.checks.all()}


def test_learner_pages_need_sign_in(client, catalog):
    lesson = first_lesson()
    for path in ("/home/", "/lessons/", f"/lessons/{lesson.slug}/", "/progress/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_home_of_a_new_learner_shows_zero_progress_and_recommendations_with_reasons(page_client, catalog):
    response = page_client.get("/home/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd data-summary="overall">0 %</dd>' in html
    assert html.count('<li data-category="') == 6
    assert "0 % <span class=\"muted\">(0/6)</span>" in html
    assert 'id="recommendations"' in html and '<ul class="reasons">' in html
    assert "Nothing in progress." in html
    assert "Complete your first lesson to earn a badge." in html
    assert_clean_html(html)


def test_home_activity_chart_has_a_text_alternative(page_client, user, catalog, django_capture_on_commit_callbacks):
    lesson = first_lesson()
    with django_capture_on_commit_callbacks(execute=True):
        lesson_services.lesson_complete(user=user, lesson=lesson, answers=[c.answer for c in lesson.checks.all()])
    html = page_client.get("/home/").content.decode()
    assert 'role="img"' in html and 'aria-label="Lessons completed per day, last 30 days.' in html
    assert "Show the figures" in html
    assert len(re.findall(r"<tr><th scope=\"row\">", html)) == 30


def test_home_shows_progress_badges_and_lessons_to_continue(page_client, user, catalog, django_capture_on_commit_callbacks):
    done, started = first_lesson("drawing"), first_lesson("colour")
    with django_capture_on_commit_callbacks(execute=True):  # badges are awarded after commit
        lesson_services.lesson_complete(user=user, lesson=done, answers=[c.answer for c in done.checks.all()])
    lesson_services.lesson_start(user=user, lesson=started)
    html = page_client.get("/home/").content.decode()
    assert '<dd data-summary="lessons">1 <span class="muted">of 36</span></dd>' in html
    assert '17 % <span class="muted">(1/6)</span>' in html
    assert f'href="/lessons/{started.slug}/">{started.title}</a>' in html.split('id="continue-heading"')[1].split("</section>")[0]
    assert 'class="badges"' in html and "First Diamond" in html


def test_lesson_list_shows_every_lesson_with_its_status(page_client, user, catalog):
    lesson = first_lesson()
    lesson_services.lesson_start(user=user, lesson=lesson)
    response = page_client.get("/lessons/")
    html = response.content.decode()
    assert "36 lessons" in html
    assert html.count('class="card lesson-card"') == 24  # first page
    assert 'class="pill status-in_progress">In progress</span>' in html
    assert 'rel="next"' in html and "page=2" in html
    assert_clean_html(html)


def test_lesson_list_filters_by_category_difficulty_style_and_status(page_client, user, catalog):
    lesson = first_lesson("colour")
    lesson_services.lesson_start(user=user, lesson=lesson)
    html = page_client.get("/lessons/?category=colour&difficulty=").content.decode()
    assert "6 lessons" in html
    assert '<option value="colour" selected>' in html
    html = page_client.get(f"/lessons/?difficulty={lesson.difficulty}&style={lesson.style}&status=in_progress").content.decode()
    assert "1 lesson<" in html and lesson.title in html


def test_lesson_list_with_unknown_filters_is_a_400_that_explains(page_client, catalog):
    response = page_client.get("/lessons/?difficulty=9&style=loud")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Some filters were not recognised and are ignored: Difficulty, Style." in html
    assert "36 lessons" in html


def test_lesson_viewer_shows_the_lesson_neighbours_and_a_start_button(page_client, catalog):
    lesson = Lesson.objects.published().filter(category__slug="drawing").order_by("difficulty", "title")[1]
    response = page_client.get(f"/lessons/{lesson.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{lesson.title}</h1>" in html
    assert lesson.body_html[:60] in html
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert "Start lesson" in html and 'id="check-0"' not in html
    assert 'id="category-progress-value">0 of 6 lessons' in html
    assert_clean_html(html)


def test_lesson_viewer_lists_prerequisites_with_their_status(page_client, user, catalog):
    lesson = Lesson.objects.published().filter(prerequisites__isnull=False).distinct().first()
    prerequisite = lesson.prerequisites.first()
    lesson_services.lesson_complete(user=user, lesson=prerequisite, answers=right_answers(prerequisite))
    html = page_client.get(f"/lessons/{lesson.slug}/").content.decode()
    assert "Before this lesson" in html
    assert f'href="/lessons/{prerequisite.slug}/">{prerequisite.title}</a> <span class="pill status-completed">' in html


def test_unknown_or_unpublished_lesson_is_a_404(page_client, catalog):
    lesson = first_lesson()
    Lesson.objects.filter(pk=lesson.pk).update(is_published=False)
    assert page_client.get(f"/lessons/{lesson.slug}/").status_code == 404
    assert page_client.get("/lessons/no-such-lesson/").status_code == 404


def test_starting_a_lesson_shows_its_checks(page_client, user, catalog):
    lesson = first_lesson()
    response = page_client.post(f"/lessons/{lesson.slug}/start/", follow=True)
    html = response.content.decode()
    assert "Started “" in html
    assert 'id="lesson-status">In progress</span>' in html
    assert html.count('<fieldset class="check"') == lesson.checks.count()
    assert LessonProgress.objects.get(user=user, lesson=lesson).status == "in_progress"


def test_starting_needs_post_and_csrf(user, catalog):
    lesson = first_lesson()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(f"/lessons/{lesson.slug}/start/").status_code == 405
    assert client.post(f"/lessons/{lesson.slug}/start/").status_code == 403
    assert not LessonProgress.objects.filter(user=user).exists()


def test_checking_an_answer_gives_immediate_feedback_as_json(page_client, catalog):
    lesson = first_lesson()
    check = lesson.checks.first()
    right = page_client.post(f"/lessons/{lesson.slug}/checks/{check.order}/", {"choice": check.answer},
                             HTTP_ACCEPT="application/json").json()
    assert right == {"order": check.order, "choice": check.answer, "correct": True, "answer": check.answer,
                     "answer_text": check.choices[check.answer], "explanation": check.explanation, "first_try": True}
    wrong = page_client.post(f"/lessons/{lesson.slug}/checks/{check.order}/",
                             {"choice": (check.answer + 1) % len(check.choices)}, HTTP_ACCEPT="application/json").json()
    assert wrong["correct"] is False and wrong["explanation"] == check.explanation
    assert wrong["first_try"] is False  # the answer was revealed by the first check


def test_checking_an_impossible_choice_is_a_400_in_the_envelope(page_client, catalog):
    lesson = first_lesson()
    response = page_client.post(f"/lessons/{lesson.slug}/checks/0/", {"choice": "99"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice" and set(response.json()) == {"code", "message", "details"}
    missing = page_client.post(f"/lessons/{lesson.slug}/checks/42/", {"choice": "0"}, HTTP_ACCEPT="application/json")
    assert missing.status_code == 404 and missing.json()["code"] == "check_not_found"


def test_checking_without_script_renders_the_feedback_in_the_page(page_client, user, catalog):
    lesson = first_lesson()
    lesson_services.lesson_start(user=user, lesson=lesson)
    check = lesson.checks.first()
    response = page_client.post(f"/lessons/{lesson.slug}/checks/{check.order}/", {f"check-{check.order}": check.answer})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="feedback correct"' in html and f"Correct. {check.explanation}" in html
    assert f'value="{check.answer}" checked' in html


def test_completing_with_answers_scores_them_and_moves_the_category(page_client, user, catalog):
    lesson = first_lesson()
    lesson_services.lesson_start(user=user, lesson=lesson)
    checks = list(lesson.checks.all())
    response = page_client.post(f"/lessons/{lesson.slug}/complete/", answers_for(lesson), follow=True)
    html = response.content.decode()
    assert f"Lesson complete! You answered {len(checks)} of {len(checks)} checks right." in html
    assert 'id="category-progress-value">1 of 6 lessons' in html
    assert html.count('class="attempt correct"') == len(checks)
    assert "Mastered: every check right in a complete attempt." in html
    record = LessonProgress.objects.get(user=user, lesson=lesson)
    assert (record.status, record.score) == ("completed", 1.0)
    assert ProgressEvent.objects.filter(user=user, lesson=lesson).count() == 1


def test_completing_again_keeps_the_first_result(page_client, user, catalog):
    lesson = first_lesson()
    page_client.post(f"/lessons/{lesson.slug}/complete/", answers_for(lesson))
    response = page_client.post(f"/lessons/{lesson.slug}/complete/", answers_for(lesson, right=False), follow=True)
    html = response.content.decode()
    assert "Retry recorded." in html and "Your first score stays" in html
    assert "Your score is your first complete attempt" in html  # the one way the rule is said
    assert LessonProgress.objects.get(user=user, lesson=lesson).score == 1.0
    assert ProgressEvent.objects.filter(user=user, lesson=lesson).count() == 1


def test_completing_with_some_checks_unanswered_is_refused(page_client, user, catalog):
    lesson = first_lesson()
    lesson_services.lesson_start(user=user, lesson=lesson)
    partial = dict(list(answers_for(lesson).items())[:1])
    response = page_client.post(f"/lessons/{lesson.slug}/complete/", partial)
    assert response.status_code == 400
    assert "Answer every check before completing the lesson" in response.content.decode()
    assert LessonProgress.objects.get(user=user, lesson=lesson).status == "in_progress"


def test_completing_without_answers_is_refused_and_completes_nothing(page_client, user, catalog):
    lesson = first_lesson()
    response = page_client.post(f"/lessons/{lesson.slug}/complete/")
    assert response.status_code == 400
    assert "Answer every check before completing the lesson" in response.content.decode()
    assert not LessonProgress.objects.filter(user=user, status="completed").exists()
    assert not ProgressEvent.objects.filter(user=user).exists()


def test_progress_page_draws_a_chart_per_category_and_lists_achievements(page_client, user, catalog,
                                                                       django_capture_on_commit_callbacks):
    lesson = first_lesson()
    with django_capture_on_commit_callbacks(execute=True):
        lesson_services.lesson_complete(user=user, lesson=lesson, answers=[c.answer for c in lesson.checks.all()])
    response = page_client.get("/progress/")
    html = response.content.decode()
    assert response.status_code == 200
    # Each chart is laid out for a wide box and for a phone; the page shows one of the two. Only the
    # overall chart and the one category with a completion are drawn; the others say so and link on.
    assert html.count('class="chart chart-wide"') == html.count('class="chart chart-narrow"') == 1 + 1
    assert "Drawing, last 90 days" in html
    assert html.count("in this period yet.") == 5 and "Try a Colour lesson" in html
    assert re.search(r"First Diamond</strong>.*?Earned <time datetime=\"\d{4}-\d\d-\d\dT", html, re.S)
    assert "Not yet" in html
    assert_clean_html(html)


def test_progress_page_charts_follow_the_history(page_client, user, catalog):
    for lesson in Lesson.objects.published().filter(category__slug="colour")[:2]:
        lesson_services.lesson_complete(user=user, lesson=lesson, answers=right_answers(lesson))
    chart = next(c for c in page_client.get("/progress/").context["category_charts"] if c["slug"] == "colour")["chart"]
    assert chart.table.rows[-1][1] == "2"
    assert chart.table.rows[0][1] == "0"

"""The search page: turbo and plain, highlights, history, saved searches, limits and bad input."""

import pytest
from django.test import Client

from search.models import SavedSearch, SearchHistory
from tests.pages.conftest import assert_clean_html

pytestmark = pytest.mark.django_db


def test_search_page_needs_sign_in(client):
    response = client.get("/search/?q=colour")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_empty_search_page_explains_turbo(page_client, catalog):
    html = page_client.get("/search/").content.decode()
    assert "Turbo uses the full-text index" in html
    assert 'id="search-turbo" name="turbo" value="1" checked' in html  # the default preference is turbo
    assert_clean_html(html)


def test_turbo_search_shows_highlighted_results_and_time(page_client, user, catalog):
    response = page_client.get("/search/?q=colour+wheel&turbo=1")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="pill turbo-on">turbo</span> took <span data-took-ms>' in html
    assert "<mark>" in html and 'id="search-results"' in html
    entry = SearchHistory.objects.get(user=user)
    assert (entry.query, entry.turbo_used) == ("colour wheel", True)
    assert_clean_html(html)


def test_plain_search_finds_the_same_lessons_as_turbo(page_client, catalog):
    turbo = page_client.get("/search/?q=light&turbo=1").context["result"]
    plain = page_client.get("/search/?q=light&turbo=0").context["result"]
    assert plain.turbo_used is False and turbo.turbo_used is True
    assert plain.count == turbo.count > 0


def test_turbo_off_in_preferences_makes_plain_the_default(page_client, user, catalog):
    user.preferences.turbo_default = False
    user.preferences.save()
    html = page_client.get("/search/?q=light").content.decode()
    assert '<span class="pill status-not_started">plain</span>' in html
    assert 'id="search-turbo" name="turbo" value="1" checked' not in html


def test_search_text_is_escaped_in_results(page_client, catalog):
    html = page_client.get("/search/?q=%3Cscript%3Ealert(1)%3C/script%3E").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_blank_or_overlong_query_is_a_400_with_a_message(page_client, catalog):
    blank = page_client.get("/search/?q=+")
    assert blank.status_code == 400 and "Type something to search for." in blank.content.decode()
    long = page_client.get("/search/?q=" + "a" * 3000)
    assert long.status_code == 400 and 'id="search-q-error"' in long.content.decode()


def test_unknown_category_is_a_400_with_a_message(page_client, catalog):
    response = page_client.get("/search/?q=light&category=nope")
    assert response.status_code == 400 and "No such category." in response.content.decode()


def test_page_searches_share_the_search_rate_limit(page_client, settings, catalog):
    settings.RATELIMIT_SEARCH_RATE = "2/m"
    assert page_client.get("/search/?q=light").status_code == 200
    assert page_client.get("/search/?q=dark").status_code == 200
    response = page_client.get("/search/?q=shadow")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "You are searching very fast." in response.content.decode()


def test_history_lists_searches_with_rerun_links_and_clears(page_client, user, catalog):
    page_client.get("/search/?q=light&turbo=0")
    html = page_client.get("/search/").content.decode()
    assert 'href="/search/?q=light&amp;turbo=0">light</a>' in html
    response = page_client.post("/search/history/clear/", follow=True)
    assert "Cleared 1 search from your history." in response.content.decode()
    assert not SearchHistory.objects.filter(user=user).exists()


def test_saving_a_search_lists_it_and_rerunning_it_searches_again(page_client, user, catalog):
    response = page_client.post("/search/save/", {"q": "colour wheel", "turbo": "0", "name": "Wheels"}, follow=True)
    html = response.content.decode()
    assert "Saved “Wheels”. Find it under Saved searches." in html
    saved = SavedSearch.objects.get(user=user)
    assert (saved.query, saved.turbo, saved.result_count > 0) == ("colour wheel", False, True)
    assert f'href="/search/saved/{saved.pk}/">Wheels</a>' in html
    assert not SearchHistory.objects.filter(user=user).exists()  # saving is not a second search
    rerun = page_client.get(f"/search/saved/{saved.pk}/")
    assert "Saved search “Wheels” run again" in rerun.content.decode()
    assert rerun.context["result"].turbo_used is False
    assert SearchHistory.objects.filter(user=user).count() == 1


def test_saving_the_same_name_twice_explains_the_conflict(page_client, user, catalog):
    page_client.post("/search/save/", {"q": "light", "name": "Mine"})
    response = page_client.post("/search/save/", {"q": "dark", "name": "Mine"}, follow=True)
    assert "is already one of your saved searches" in response.content.decode()
    assert SavedSearch.objects.filter(user=user).count() == 1


def test_deleting_a_saved_search(page_client, user, catalog):
    page_client.post("/search/save/", {"q": "light"})
    saved = SavedSearch.objects.get(user=user)
    response = page_client.post(f"/search/saved/{saved.pk}/delete/", follow=True)
    assert "The saved search is deleted." in response.content.decode()
    assert not SavedSearch.objects.filter(user=user).exists()


def test_another_users_saved_search_can_be_neither_run_nor_deleted(page_client, other_user, catalog):
    theirs = SavedSearch.objects.create(user=other_user, name="Theirs", query="light")
    assert "That saved search no longer exists." in page_client.get(f"/search/saved/{theirs.pk}/", follow=True).content.decode()
    page_client.post(f"/search/saved/{theirs.pk}/delete/")
    assert SavedSearch.objects.filter(pk=theirs.pk).exists()


def test_search_writes_need_csrf(user, catalog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/search/save/", {"q": "light"}).status_code == 403
    assert client.post("/search/history/clear/").status_code == 403
    assert not SavedSearch.objects.filter(user=user).exists()


def test_save_is_offered_only_for_a_search_with_results(page_client, catalog):
    assert 'aria-label="Save this search"' in page_client.get("/search/?q=light").content.decode()
    html = page_client.get("/search/?q=zzqxv").content.decode()
    assert "Nothing matched." in html and 'aria-label="Save this search"' not in html


def test_saving_a_search_without_results_is_refused_with_a_message(page_client, user, catalog):
    response = page_client.post("/search/save/", {"q": "zzqxv", "turbo": "1"}, follow=True)
    assert "nothing to save" in response.content.decode()
    assert not SavedSearch.objects.filter(user=user).exists()


def test_a_page_past_the_end_shows_the_last_page_not_nothing_matched(page_client, catalog):
    response = page_client.get("/search/?q=light&turbo=1&page=99")
    html = response.content.decode()
    result = response.context["result"]
    assert result.count > 0 and result.items and result.page == result.last_page
    assert "Nothing matched." not in html
    assert f"There is no page 99: these are the last results, page {result.last_page}." in html


def test_the_search_form_submits_exactly_one_turbo_parameter(page_client, catalog):
    html = page_client.get("/search/?q=light&turbo=1").content.decode()
    start = html.index('class="card search-form"')
    form = html[start:html.index("</form>", start)]
    assert form.count('name="turbo"') == 2 and form.count('type="radio"') == 2  # one choice is ever sent
    assert 'type="hidden" name="turbo"' not in form


def test_a_search_that_finds_nothing_suggests_a_nearby_query(page_client, catalog):
    html = page_client.get("/search/?q=colr&turbo=1").content.decode()
    assert 'Did you mean <a href="/search/?q=colour&amp;turbo=1" id="search-suggestion">colour</a>?' in html


def test_repeated_searches_show_once_in_history_with_a_count(page_client, catalog):
    for _ in range(9):
        page_client.get("/search/?q=colour+wheel&turbo=1")
    html = page_client.get("/search/").content.decode()
    history = html[html.index('id="search-history"'):]
    assert history.count("<li>") == 1 and "×9" in history


def test_every_result_shows_the_learners_status(page_client, user, catalog):
    from lessons.models import Lesson, LessonProgress

    lesson = Lesson.objects.published().filter(title__icontains="light").order_by("pk").first()
    LessonProgress.objects.create(user=user, lesson=lesson, status=LessonProgress.Status.COMPLETED)
    response = page_client.get("/search/?q=light&turbo=1")
    html = response.content.decode()
    items = response.context["result"].items
    assert html.count('data-status="') == len(items) > 1
    assert {hit.slug: hit.status for hit in items}[lesson.slug] == "completed"
    assert '<span class="pill status-completed" data-status="completed">Completed</span>' in html


def test_facets_link_to_combined_filters(page_client, catalog):
    first = page_client.get("/search/?q=light&turbo=1")
    facets = {group["param"]: group for group in first.context["facets"]}
    category = facets["category"]["options"][0]
    assert category["count"] > 0 and f"{category['url']}".count("turbo=") == 1
    narrowed = page_client.get(category["url"])
    assert narrowed.context["result"].count == category["count"]
    level = {g["param"]: g for g in narrowed.context["facets"]}["difficulty"]["options"][0]
    both = page_client.get(level["url"])
    slugs = {hit.category for hit in both.context["result"].items}
    assert both.context["result"].count == level["count"] and len(slugs) == 1
    assert all(hit.difficulty == both.context["result"].difficulty for hit in both.context["result"].items)
    html = both.content.decode()
    assert 'id="search-facets"' in html and 'aria-current="true"' in html
    assert_clean_html(html)

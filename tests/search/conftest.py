import pytest

from tests.search.factories import CategoryFactory, LessonFactory


def search(client, **params):
    """GET /api/v1/search/ and return the response (callers assert on status and body)."""
    return client.get("/api/v1/search/", params)


def result_slugs(client, **params) -> list[str]:
    response = search(client, **params)
    assert response.status_code == 200, response.content
    return [hit["slug"] for hit in response.json()["results"]]


@pytest.fixture
def category(db):
    return CategoryFactory(slug="colour", name="Colour")


@pytest.fixture
def catalog(db, category):
    """Four published lessons and an unpublished one with distinct words."""
    drawing = CategoryFactory(slug="drawing", name="Drawing")
    return {
        "wheel": LessonFactory(slug="colour-wheel", title="Colour wheel from three tubes", category=category,
                               summary="Mix a twelve-step wheel.", tags=["mixing", "primaries"],
                               body_markdown="Paint a **watercolour** wheel with one yellow, one red and one blue."),
        "greys": LessonFactory(slug="complementary-greys", title="Complementary greys", category=category,
                               summary="Neutral greys from opposite colours.", tags=["neutrals"],
                               body_markdown="Mix orange into blue until it turns grey."),
        "contour": LessonFactory(slug="blind-contour", title="Blind contour", category=drawing,
                                 summary="Draw without looking at the paper.", tags=["observation"],
                                 body_markdown="Look only at the object, never at the page."),
        "gesture": LessonFactory(slug="gesture", title="Gesture in thirty seconds", category=drawing,
                                 summary="Quick figure drawing.", tags=["figure"],
                                 body_markdown="Catch the movement of a pose, not the colour."),
        "hidden": LessonFactory(slug="hidden-draft", title="Hidden colour draft", category=category,
                                summary="Not published yet.", is_published=False,
                                body_markdown="Unpublished colour work."),
    }

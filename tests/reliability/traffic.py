"""Learner traffic for the fault, scale-out and soak suites, built from the API that exists.

Each action is ``fn(session, base_url, learner, n) -> (response, marker)``. An action whose
route is not in the URL conf is left out of the mix (and named by :func:`learner_actions`), so
the mix grows with the product without anyone editing the suites.
"""

from __future__ import annotations

import uuid
import zlib

import requests
from django.urls import Resolver404, resolve

from tests.reliability.harness import bearer

API = "/api/v1"
SEARCH_TERMS = ["colour", "rhythm", "sketch", "light", "story", "clay", "diamond", "practice"]


def route_exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def login(session: requests.Session, base: str, learner: dict, n: str):
    """A write: each 2xx login creates one session row carrying this request's device name."""
    marker = f"traffic-login-{uuid.uuid4().hex}"
    response = session.post(f"{base}{API}/auth/login/", json={"username": learner["username"],
                                                              "password": learner["password"]},
                            headers={"User-Agent": marker}, timeout=30)
    return response, marker


def me(session, base, learner, n):
    return session.get(f"{base}{API}/auth/me/", headers=bearer(learner["access"]), timeout=30), None


def preferences(session, base, learner, n):
    minutes = 5 + (zlib.crc32(n.encode()) % 200)
    response = session.put(f"{base}{API}/config/user/", json={"daily_goal_minutes": minutes},
                           headers=bearer(learner["access"]), timeout=30)
    return response, None


def progress(session, base, learner, n):
    return session.get(f"{base}{API}/progress/", headers=bearer(learner["access"]), timeout=30), None


def progress_set(session, base, learner, n):
    """A write that also enqueues work (achievements are awarded in a Celery task)."""
    categories = learner.get("categories") or [("no-category", 0)]
    slug, total = categories[zlib.crc32(n.encode()) % len(categories)]
    value = zlib.crc32(n.encode()) % (total + 1)
    response = session.put(f"{base}{API}/progress/{slug}/", json={"progress": value},
                           headers=bearer(learner["access"]), timeout=30)
    return response, None


def summary(session, base, learner, n):
    return session.get(f"{base}{API}/progress/summary/", headers=bearer(learner["access"]), timeout=30), None


def lessons(session, base, learner, n):
    return session.get(f"{base}{API}/lessons/", headers=bearer(learner["access"]), timeout=30), None


def lesson_detail(session, base, learner, n):
    slug = _slug(learner, n)
    return session.get(f"{base}{API}/lessons/{slug}/", headers=bearer(learner["access"]), timeout=30), None


def some_answers(session, base, access: str, slug: str) -> list[int]:
    """An answer (the first choice) to every check of the lesson: completing needs one per check."""
    detail = session.get(f"{base}{API}/lessons/{slug}/", headers=bearer(access), timeout=30)
    return [0] * len(detail.json().get("checks", [])) if detail.status_code == 200 else []


def complete(session, base, learner, n):
    slug = _slug(learner, n)
    session.post(f"{base}{API}/lessons/{slug}/start/", json={}, headers=bearer(learner["access"]), timeout=30)
    answers = some_answers(session, base, learner["access"], slug)
    response = session.post(f"{base}{API}/lessons/{slug}/complete/", json={"answers": answers},
                            headers=bearer(learner["access"]), timeout=30)
    return response, None


def search(session, base, learner, n):
    term = SEARCH_TERMS[zlib.crc32(n.encode()) % len(SEARCH_TERMS)]
    return session.get(f"{base}{API}/search/", params={"q": term}, headers=bearer(learner["access"]), timeout=30), None


def _slug(learner: dict, n: str) -> str:
    slugs = learner.get("slugs") or ["no-lesson"]
    return slugs[zlib.crc32(n.encode()) % len(slugs)]


ALL_ACTIONS = {
    "login": (login, f"{API}/auth/login/"),
    "me": (me, f"{API}/auth/me/"),
    "preferences": (preferences, f"{API}/config/user/"),
    "progress": (progress, f"{API}/progress/"),
    "progress_set": (progress_set, f"{API}/progress/some-category/"),
    "summary": (summary, f"{API}/progress/summary/"),
    "lessons": (lessons, f"{API}/lessons/"),
    "lesson_detail": (lesson_detail, f"{API}/lessons/some-lesson/"),
    "complete": (complete, f"{API}/lessons/some-lesson/complete/"),
    "search": (search, f"{API}/search/"),
}


def learner_actions(*, include_login: bool = True) -> dict:
    """The actions whose routes exist now."""
    return {name: fn for name, (fn, path) in ALL_ACTIONS.items()
            if route_exists(path) and (include_login or name != "login")}


def lesson_slugs(base: str, token: str, limit: int = 20) -> list[str]:
    if not route_exists(f"{API}/lessons/"):
        return []
    response = requests.get(f"{base}{API}/lessons/", headers=bearer(token), timeout=30)
    if response.status_code != 200:
        return []
    body = response.json()
    items = body.get("results", body) if isinstance(body, dict) else body
    return [item["slug"] for item in items if isinstance(item, dict) and "slug" in item][:limit]


def progress_categories(base: str, token: str) -> list[tuple[str, int]]:
    """(slug, total lessons) of every category, from the learner's progress list."""
    if not route_exists(f"{API}/progress/"):
        return []
    response = requests.get(f"{base}{API}/progress/", headers=bearer(token), timeout=30)
    if response.status_code != 200:
        return []
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    out = []
    for row in rows:
        category = row.get("category")
        slug = category.get("slug") if isinstance(category, dict) else category
        if slug:
            out.append((slug, int(row.get("total_lessons") or 0)))
    return out


def equip(base: str, learners: list[dict]) -> list[dict]:
    """Give each learner the lesson slugs and categories their traffic picks from."""
    slugs = lesson_slugs(base, learners[0]["access"])
    categories = progress_categories(base, learners[0]["access"])
    for learner in learners:
        learner["slugs"], learner["categories"] = slugs, categories
    return learners


def use_the_product(base: str, learner: dict, marker: str) -> None:
    """Give a learner objects of their own behind every user-owned route that exists (over HTTP)."""
    headers = bearer(learner["access"])
    requests.patch(f"{base}{API}/auth/me/", json={"first_name": marker}, headers=headers, timeout=30)
    requests.put(f"{base}{API}/config/user/", json={"daily_goal_minutes": 30}, headers=headers, timeout=30)
    categories = progress_categories(base, learner["access"])
    if categories and route_exists(f"{API}/progress/some-category/"):
        requests.put(f"{base}{API}/progress/{categories[0][0]}/", json={"progress": min(1, categories[0][1])},
                     headers=headers, timeout=30)
    slugs = lesson_slugs(base, learner["access"])
    if slugs and route_exists(f"{API}/lessons/some-lesson/complete/"):
        requests.post(f"{base}{API}/lessons/{slugs[0]}/start/", json={}, headers=headers, timeout=30)
        requests.post(f"{base}{API}/lessons/{slugs[0]}/complete/",
                      json={"answers": some_answers(requests, base, learner["access"], slugs[0])}, headers=headers,
                      timeout=30)
    if route_exists(f"{API}/search/"):
        requests.get(f"{base}{API}/search/", params={"q": marker}, headers=headers, timeout=30)
        if route_exists(f"{API}/search/save/"):
            requests.post(f"{base}{API}/search/save/", json={"query": marker}, headers=headers, timeout=30)

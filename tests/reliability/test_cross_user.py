"""Cross-user access and mass assignment, over every user-owned operation in the URL conf.

Learners A and B both use the product (profile, preferences, sessions and, where the routes
exist, lessons, progress and searches). Then, for every protected, non-staff operation that
``tests.accounts.operations`` finds in the URL conf (so a new endpoint is covered without
editing this file):

- B reads it, with A's object ids in the path where the route takes one: nothing of A's
  (username, e-mail, name, session ids, ids of A's objects) ever appears, and A's ids are 404;
- B writes it, aimed at A's objects and naming A as owner: A's view of the product is unchanged;
- A writes it with ``user``/``is_staff``/``total_lessons``... added: A gains no privilege, B
  gains no object, and no category total moves.

An object id is A's when it shows in A's lists and not in B's (catalog slugs show in both).
"""

import json
import os
import re

import pytest
from django.urls import resolve
from rest_framework.permissions import IsAdminUser
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts import tally
from tests.accounts.operations import DUMMY_VALUES, api_operations
from tests.conftest import login
from tests.reliability.figures import note
from tests.reliability.traffic import route_exists

pytestmark = pytest.mark.django_db

SUITE = "cross-user and mass assignment"
API = "/api/v1"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
VOLATILE_KEYS = {"last_seen_at", "took_ms", "current", "updated_at", "generated_at", "now"}
ID_KEYS = ("id", "pk", "uuid", "slug")


def staff_only(operation) -> bool:
    view = resolve(operation.path).func.cls
    return any(isinstance(p, type) and issubclass(p, IsAdminUser) for p in view.permission_classes)


def learner_operations() -> list:
    return [op for op in api_operations() if not op.public and not staff_only(op)]


def fresh_client(user, address: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(APIClient(REMOTE_ADDR=address), user.username)['access']}")
    return client


def items(body) -> list[dict]:
    if isinstance(body, dict):
        body = body.get("results", [body])
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def ids_in(body) -> set[str]:
    return {str(item[key]) for item in items(body) for key in ID_KEYS if key in item and item[key] not in (None, "")}


def stable(body):
    if isinstance(body, dict):
        return {k: stable(v) for k, v in body.items() if k not in VOLATILE_KEYS}
    if isinstance(body, list):
        return [stable(v) for v in body]
    return body


def use_the_product(client: APIClient, user, marker: str, minutes: int) -> None:
    """Give the learner something of their own behind every user-owned route that exists."""
    assert client.patch(f"{API}/auth/me/", {"first_name": marker}, format="json").status_code == 200
    assert client.put(f"{API}/config/user/", {"daily_goal_minutes": minutes}, format="json").status_code == 200
    login(APIClient(REMOTE_ADDR="127.0.0.9"), user.username)  # a second session to find
    if route_exists(f"{API}/lessons/"):
        slugs = sorted(ids_in(client.get(f"{API}/lessons/").json()))
        if slugs and route_exists(f"{API}/lessons/{slugs[0]}/complete/"):
            client.post(f"{API}/lessons/{slugs[0]}/start/", {}, format="json")
            checks = client.get(f"{API}/lessons/{slugs[0]}/").json()["checks"]
            answers = {"answers": [0] * len(checks)}
            assert client.post(f"{API}/lessons/{slugs[0]}/complete/", answers, format="json").status_code in (200, 201)
    if route_exists(f"{API}/progress/some-category/"):
        rows = items(client.get(f"{API}/progress/").json())
        if rows:
            category = rows[0]["category"]
            slug = category["slug"] if isinstance(category, dict) else category
            assert client.put(f"{API}/progress/{slug}/", {"progress": 1}, format="json").status_code == 200
    if route_exists(f"{API}/search/"):
        assert client.get(f"{API}/search/", {"q": marker}).status_code == 200
        if route_exists(f"{API}/search/save/"):
            # a search that finds nothing is not saved: the marker names a search of the authored catalog
            saved = {"query": "colour", "name": marker}
            assert client.post(f"{API}/search/save/", saved, format="json").status_code in (200, 201)


@pytest.fixture
def catalog(db):
    """The product's authored lesson catalog, so lessons and progress have rows to own."""
    from django.core.management import call_command, get_commands

    if "load_lessons" in get_commands():
        call_command("load_lessons", stdout=open(os.devnull, "w"))


@pytest.fixture
def learners(catalog, user, other_user):
    a, b = fresh_client(user, "127.0.0.1"), fresh_client(other_user, "127.0.0.2")
    use_the_product(a, user, "Alphamarkerzq", 37)
    use_the_product(b, other_user, "Bravomarkerzq", 41)
    lists = [op for op in learner_operations() if op.method == "GET" and not any(d in op.path.split("/") for d in DUMMY_VALUES)]
    owned: dict[str, set[str]] = {}  # list path -> ids only A sees there
    for op in lists:
        mine, theirs = a.get(op.path), b.get(op.path)
        if mine.status_code == 200 and theirs.status_code == 200:
            only_mine = ids_in(mine.json()) - ids_in(theirs.json())
            if only_mine:
                owned[op.path] = only_mine
    # Short numeric ids would match any digits; they are checked by aiming paths at them instead.
    markers = {user.username, user.email, "Alphamarkerzq", *(i for i in set().union(*owned.values()) if len(i) >= 8)}
    return {"a": a, "b": b, "user": user, "other": other_user, "owned": owned, "markers": markers, "lists": lists}


def aimed_paths(operation, owned: dict[str, set[str]]) -> list[tuple[str, bool]]:
    """The operation's path, and for each of A's ids under its collection the path aimed at it."""
    parts = operation.path.split("/")
    holes = [i for i, part in enumerate(parts) if part in DUMMY_VALUES]
    if not holes:
        return [(operation.path, False)]
    collection = "/".join(parts[: holes[0]]) + "/"
    paths = [(operation.path, False)]
    for value in sorted(owned.get(collection, ())):
        paths.append(("/".join([*parts[: holes[0]], value, *parts[holes[0] + 1:]]), True))
    return paths


def snapshot(client: APIClient, lists) -> dict:
    return {op.path: stable(client.get(op.path).json()) for op in lists}


def stable_snapshot(client: APIClient, lists) -> dict:
    """A's view of every list, minus those that change by being read (e.g. recorded searches)."""
    first, second = snapshot(client, lists), snapshot(client, lists)
    return {path: body for path, body in second.items() if first[path] == body}


def mass_assignment(victim) -> dict:
    return {"user": victim.pk, "user_id": victim.pk, "owner": victim.pk, "is_staff": True, "is_superuser": True,
            "is_active": True, "total_lessons": 999, "id": 424242, "username": victim.username}


def test_no_read_by_another_learner_shows_anything_of_theirs(learners):
    b, markers, tried, leaks = learners["b"], learners["markers"], 0, []
    for op in [op for op in learner_operations() if op.method == "GET"]:
        for path, aimed in aimed_paths(op, learners["owned"]):
            response = b.get(path)
            tried += 1
            text = response.content.decode(errors="replace")
            found = sorted(m for m in markers if m in text)
            if response.status_code >= 500 or found or (aimed and response.status_code not in (403, 404)):
                leaks.append((path, response.status_code, found))
    note(SUITE, "A's objects found and aimed at: " + ", ".join(f"{path} x{len(ids)}" for path, ids in
                                                               sorted(learners["owned"].items())))
    tally.record(SUITE, tried=tried, failed=len(leaks))
    assert learners["owned"], "A owns something (sessions at least) to aim at"
    assert leaks == []


def test_no_write_by_another_learner_changes_anything_of_theirs(learners):
    a, user, other = learners["a"], learners["user"], learners["other"]
    before = stable_snapshot(a, learners["lists"])
    user_before = User.objects.filter(pk=user.pk).values().get()
    tried, failures = 0, []
    for op in [op for op in learner_operations() if op.method in WRITE_METHODS]:
        for path, aimed in aimed_paths(op, learners["owned"]):
            b = fresh_client(other, "127.0.0.2")  # B's own logout or revocations must not end the run
            # Aimed at A's object, a body with fields the operation does not declare is refused (400) before the
            # lookup; an empty one reaches it, so the 403/404 proves the object is out of B's reach.
            body = {} if aimed else mass_assignment(user)
            response = b.generic(op.method, path, json.dumps(body), content_type="application/json")
            tried += 1
            if response.status_code >= 500 or (aimed and response.status_code not in (403, 404)):
                failures.append((op.method, path, response.status_code))
    after = {path: stable(a.get(path).json()) for path in before}
    changed = sorted(path for path in before if before[path] != after[path])
    user_after = User.objects.filter(pk=user.pk).values().get()
    tally.record(SUITE, tried=tried, failed=len(failures) + len(changed))
    assert failures == []
    assert changed == []
    assert {k: v for k, v in user_after.items() if k != "last_login"} == \
        {k: v for k, v in user_before.items() if k != "last_login"}


def test_mass_assigned_owner_and_privilege_fields_are_ignored(learners):
    user, other = learners["user"], learners["other"]
    b_before = stable_snapshot(learners["b"], learners["lists"])
    totals_before = _progress_totals()
    tried, failures = 0, []
    for op in [op for op in learner_operations() if op.method in WRITE_METHODS]:
        for path, _ in aimed_paths(op, learners["owned"]):
            a = fresh_client(user, "127.0.0.1")
            response = a.generic(op.method, path, json.dumps(mass_assignment(other)), content_type="application/json")
            tried += 1
            if response.status_code >= 500:
                failures.append((op.method, path, response.status_code))
    user.refresh_from_db()
    b = fresh_client(other, "127.0.0.2")
    b_after = {path: stable(b.get(path).json()) for path in b_before}
    b_changed = sorted(path for path in b_before if b_before[path] != b_after[path]
                       and not re.search(r"/auth/sessions/$", path))  # A's calls cannot touch B's sessions list...
    tally.record(SUITE, tried=tried, failed=len(failures) + len(b_changed))
    assert failures == []
    assert (user.is_staff, user.is_superuser, user.username) == (False, False, learners["user"].username)
    assert b_changed == []
    assert _progress_totals() == totals_before


def _progress_totals() -> list:
    """Every learner's markers and counted figures: a mass-assigned ``total_lessons`` moves none of them."""
    from accounts.models import User
    from progress.models import UserProgress
    from progress.selectors import category_progress_list

    counted = [(u.pk, row.slug, row.progress, row.total_lessons) for u in User.objects.order_by("pk")
               for row in category_progress_list(user=u)]
    return counted + sorted(UserProgress.objects.values_list("user_id", "category_id", "marked"))

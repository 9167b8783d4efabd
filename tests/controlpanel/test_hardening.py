"""Hardening of the request plumbing: deeply nested JSON bodies, the SQLite settings whatever
names the database, health probes under the HTTPS redirect, which proxies may name the client's
address, and API paths without their trailing slash."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from accounts.models import AuthSession
from controlpanel.api.parsers import MAX_DEPTH
from controlpanel.middleware import client_address, proxy_networks
from lessons.models import Lesson
from lessons.services import catalog_sync
from telemetry.collector import collector
from telemetry.middleware import route_label
from tests.accounts import tally
from tests.accounts.operations import api_operations
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

WRITE_METHODS = {"POST", "PUT", "PATCH"}
DEEP = "[" * 1000 + "]" * 1000


@pytest.fixture
def real_objects(db) -> dict[str, str]:
    """Values for the URL conf's path parameters that name objects which exist."""
    catalog_sync()
    lesson = Lesson.objects.filter(is_published=True, checks__isnull=False).select_related("category").first()
    return {"slug": lesson.slug, "category": lesson.category.slug, "order": str(lesson.checks.order_by("order").first().order)}


def real_path(path: str, objects: dict[str, str]) -> str:
    """``path`` with each parameter that names a lesson, category or check replaced by a real one."""
    match = resolve(path)
    if not match.kwargs:
        return path
    kwargs = {name: objects.get(name, value) for name, value in match.kwargs.items()}
    return reverse(match.view_name, kwargs=kwargs)


def signed_in(user, address: str = "127.0.0.9") -> APIClient:
    """A client with a session of its own (so a logout or password change ends only that one)."""
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, user.username)['access']}")
    return client


def settings_with(env: dict[str, str], *names: str) -> dict:
    """Settings as ``controlpanel.settings`` computes them in a fresh process under ``env``."""
    child = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "SECURE_HTTPS",
                                                                 "TRUSTED_PROXY_HOPS", "TRUSTED_PROXIES", "PYTEST_XDIST_WORKER"}}
    child.update({"DJANGO_SETTINGS_MODULE": "controlpanel.settings", "CONTROLPANEL_TESTING": "true", **env})
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))")
    result = subprocess.run([sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=child, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def json_operations():
    return [op for op in api_operations() if op.method in WRITE_METHODS]


# 1. Deeply nested JSON ---------------------------------------------------------------------------

def assert_too_deep(response) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "parse_error"
    assert "nests too deeply" in body["message"]
    assert set(body) == {"code", "message", "details"}


def test_a_thousand_levels_deep_body_is_a_parse_error_on_every_json_operation(staff_user, real_objects):
    """Signed in as staff so that every operation gets as far as reading its body."""
    operations = json_operations()
    assert len(operations) >= 10
    ignored_body = []
    for op in operations:
        path = real_path(op.path, real_objects)
        response = getattr(signed_in(staff_user), op.method.lower())(path, DEEP, content_type="application/json")
        assert response.status_code < 500, (str(op), response.status_code, response.content[:300])
        if response.status_code < 300:
            # Only an operation that never reads its body may succeed; it must take an empty body alike.
            empty = getattr(signed_in(staff_user), op.method.lower())(path, "", content_type="application/json")
            assert empty.status_code == response.status_code, str(op)
            ignored_body.append(str(op))
            continue
        assert_too_deep(response)
    # Logout and starting a lesson take no body; every other operation reads one.
    assert len(ignored_body) <= 2 < len(operations) - len(ignored_body), ignored_body
    tally.record("deep JSON", tried=len(operations), failed=0)


def test_a_deep_body_to_anonymous_login_is_a_parse_error(api_client):
    assert_too_deep(api_client.post("/api/v1/auth/login/", DEEP, content_type="application/json"))
    assert_too_deep(api_client.post("/api/v1/auth/login/", '{"username": ' + DEEP + "}", content_type="application/json"))


def test_the_depth_limit_is_exact(api_client):
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    over = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    # At the limit the body parses (and is then refused as a login body that is not an object).
    response = api_client.post("/api/v1/auth/login/", at_limit, content_type="application/json")
    assert response.status_code == 400 and "nests too deeply" not in response.json()["message"]
    assert_too_deep(api_client.post("/api/v1/auth/login/", over, content_type="application/json"))
    nested_object = '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    assert_too_deep(api_client.post("/api/v1/auth/register/", nested_object, content_type="application/json"))


# 2. SQLite settings whatever names the database -------------------------------------------------

def test_sqlite_connections_read_through_memory_mapped_pages(tmp_path):
    import sqlite3

    var = {"CONTROLPANEL_VAR_DIR": str(tmp_path / "var")}
    for env, expected in (({}, 256 * 1024 * 1024), ({"SQLITE_MMAP_BYTES": "0"}, 0)):
        options = settings_with({**var, **env}, "DATABASES")["DATABASES"]["default"]["OPTIONS"]
        database = sqlite3.connect(tmp_path / "mapped.sqlite3")
        database.executescript(options["init_command"])
        assert database.execute("PRAGMA mmap_size").fetchone() == (expected,)
        assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        database.close()


def test_a_sqlite_database_url_gets_the_same_safety_settings_as_the_default(tmp_path):
    var = {"CONTROLPANEL_VAR_DIR": str(tmp_path / "var")}
    default = settings_with(var, "DATABASES")["DATABASES"]["default"]
    named = settings_with({**var, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}, "DATABASES")["DATABASES"]["default"]
    by_path = settings_with({**var, "SQLITE_PATH": str(tmp_path / "y.sqlite3")}, "DATABASES")["DATABASES"]["default"]
    assert named["ENGINE"] == default["ENGINE"] == "django.db.backends.sqlite3"
    assert named["NAME"] == str(tmp_path / "x.sqlite3")
    assert default["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in default["OPTIONS"]["init_command"]
    for settings in (named, by_path):
        for key in ("transaction_mode", "timeout", "init_command"):
            assert settings["OPTIONS"][key] == default["OPTIONS"][key], key
        assert settings["CONN_MAX_AGE"] == default["CONN_MAX_AGE"] == 60
        assert settings["CONN_HEALTH_CHECKS"] is default["CONN_HEALTH_CHECKS"] is True


def test_a_postgres_database_url_gets_no_sqlite_options(tmp_path):
    computed = settings_with({"CONTROLPANEL_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:5432/cp"},
                             "DATABASES")["DATABASES"]["default"]
    assert computed["ENGINE"].endswith("postgresql")
    assert "transaction_mode" not in computed.get("OPTIONS", {})
    assert computed["CONN_MAX_AGE"] == 60 and computed["CONN_HEALTH_CHECKS"] is True


# 3. Health probes under the HTTPS redirect -------------------------------------------------------

def test_with_secure_https_the_probes_are_exempt_from_the_https_redirect(tmp_path):
    computed = settings_with({"SECURE_HTTPS": "true", "CONTROLPANEL_VAR_DIR": str(tmp_path)},
                             "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT")
    assert computed["SECURE_SSL_REDIRECT"] is True
    assert computed["SECURE_REDIRECT_EXEMPT"]
    with override_settings(**computed):
        client = Client()  # its middleware is loaded on the first request, under these settings
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        for path in ("/login/", "/healthz/extra", "/api/v1/config/system/"):
            redirected = client.get(path)
            assert redirected.status_code == 301, path
            assert redirected["Location"].startswith("https://")
        assert client.get("/healthz", secure=True).status_code == 200


# 4. Which connections may name the client's address ---------------------------------------------

def login_from(address: str, user, forwarded: str):
    client = APIClient(REMOTE_ADDR=address)  # its middleware reads the settings on its first request
    return client.post("/api/v1/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD},
                       format="json", HTTP_X_FORWARDED_FOR=forwarded)


def recorded_address(response) -> str:
    assert response.status_code == 200, response.content
    return str(AuthSession.objects.get(pk=response.json()["session_id"]).client_ip)


def test_with_hops_but_no_trusted_proxy_a_direct_client_is_keyed_by_its_socket(settings, user):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXIES = []
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "2/h"
    assert recorded_address(login_from("198.51.100.7", user, "1.2.3.4")) == "198.51.100.7"
    assert login_from("198.51.100.7", user, "1.2.3.5").status_code == 200
    # A new forwarded address each time does not buy a new budget.
    refused = login_from("198.51.100.7", user, "1.2.3.6")
    assert refused.status_code == 429, refused.content
    assert login_from("198.51.100.8", user, "1.2.3.6").status_code == 200
    tally.record("rate limits", tried=1, failed=0)


def test_from_a_trusted_proxy_the_forwarded_address_is_the_client(settings, user):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "2/h"
    assert recorded_address(login_from("10.1.2.3", user, "1.2.3.4")) == "1.2.3.4"
    assert recorded_address(login_from("192.0.2.10", user, "198.51.100.1, 1.2.3.9")) == "1.2.3.9"
    # Not in the list: the socket address, whatever the header says.
    assert recorded_address(login_from("192.0.2.11", user, "1.2.3.4")) == "192.0.2.11"
    # Behind the proxy, each client has its own budget; the proxy's clients do not share one.
    assert login_from("10.1.2.3", user, "1.2.3.4").status_code == 200
    assert login_from("10.1.2.3", user, "1.2.3.4").status_code == 429
    assert login_from("10.1.2.3", user, "1.2.3.5").status_code == 200


@pytest.mark.django_db
def test_only_a_trusted_proxy_can_say_the_connection_was_https(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    claimed = {"HTTP_X_FORWARDED_PROTO": "https"}
    from_proxy = Client(REMOTE_ADDR="10.0.0.2").get("/login/", **claimed)
    assert from_proxy.status_code == 200, from_proxy
    direct = Client(REMOTE_ADDR="203.0.113.9").get("/login/", **claimed)
    assert direct.status_code == 301 and direct["Location"] == "https://testserver/login/"
    settings.TRUSTED_PROXY_HOPS = 0  # no proxy configured: nobody's header counts
    assert Client(REMOTE_ADDR="10.0.0.2").get("/login/", **claimed).status_code == 301


@pytest.mark.parametrize(
    ("remote", "proxies", "forwarded", "expected"),
    [
        ("203.0.113.9", [], "1.2.3.4", "203.0.113.9"),
        ("203.0.113.9", ["10.0.0.0/8"], "1.2.3.4", "203.0.113.9"),
        ("10.0.0.2", ["10.0.0.0/8"], "1.2.3.4", "1.2.3.4"),
        ("10.0.0.2", ["10.0.0.2"], "9.9.9.9, 1.2.3.4", "1.2.3.4"),
        ("::ffff:10.0.0.2", ["10.0.0.0/8"], "1.2.3.4", "1.2.3.4"),
        ("2001:db8::5", ["2001:db8::/32"], "1.2.3.4", "1.2.3.4"),
        ("unknown", ["10.0.0.0/8"], "1.2.3.4", "unknown"),
    ],
)
def test_client_address_trusts_the_header_only_from_listed_proxies(remote, proxies, forwarded, expected):
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta, 1, proxy_networks(proxies)) == expected


def test_a_malformed_trusted_proxy_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="not-an-address"):
        proxy_networks(["10.0.0.0/8", "not-an-address"])


def test_the_settings_read_trusted_proxies_from_the_environment(tmp_path):
    computed = settings_with({"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.10,", "CONTROLPANEL_VAR_DIR": str(tmp_path)},
                             "TRUSTED_PROXIES")
    assert computed["TRUSTED_PROXIES"] == ["10.0.0.0/8", "192.0.2.10"]
    assert settings_with({"TRUSTED_PROXIES": "", "CONTROLPANEL_VAR_DIR": str(tmp_path)}, "TRUSTED_PROXIES") == {
        "TRUSTED_PROXIES": []}


# 5. API paths without the trailing slash --------------------------------------------------------

def call(client: APIClient, method: str, path: str, body=None):
    if method in WRITE_METHODS:
        return getattr(client, method.lower())(path, body if body is not None else {}, format="json")
    return getattr(client, method.lower())(path)


def test_every_api_operation_answers_alike_without_its_trailing_slash(user, real_objects, monkeypatch):
    """Each form on a fresh session of the same learner, so a logout or a delete on one does not
    change what the other finds. Telemetry's route label is the same for both."""
    routes = []
    monkeypatch.setattr(collector, "record", lambda **fields: routes.append(fields["route"]))
    operations = api_operations()
    assert len(operations) >= 30
    for op in operations:
        path = real_path(op.path, real_objects)
        assert path.endswith("/")
        labels = []
        for form in (path, path.rstrip("/")):  # a session each, signed in just before (a revoke-all ends the others)
            client = signed_in(user, "127.0.0.21")
            del routes[:]
            labels.append((call(client, op.method, form), list(routes)))
        (slashed, slashed_routes), (bare, bare_routes) = labels
        assert bare.status_code not in {301, 302, 307, 308}, (str(op), bare.status_code)
        assert bare.status_code == slashed.status_code, (str(op), slashed.status_code, bare.status_code, bare.content[:200])
        assert bare_routes == slashed_routes == [route_label(op.route)], (str(op), slashed_routes, bare_routes)
    tally.record("slash-less paths", tried=len(operations), failed=0)


def test_the_plans_paths_without_the_slash_keep_their_bodies(user, real_objects):
    anonymous = APIClient(REMOTE_ADDR="127.0.0.23")
    logged_in = anonymous.post("/api/v1/auth/login", {"username": user.username, "password": DEFAULT_PASSWORD},
                               format="json")
    assert logged_in.status_code == 200, logged_in.content
    client = APIClient(REMOTE_ADDR="127.0.0.23")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {logged_in.json()['access']}")
    category = real_objects["category"]
    updated = client.put(f"/api/v1/progress/{category}", {"progress": 1}, format="json")
    assert updated.status_code == 200, updated.content
    assert client.get(f"/api/v1/progress/{category}/").json() == updated.json()
    assert updated.json() != client.put(f"/api/v1/progress/{category}", {"progress": 0}, format="json").json()
    searched = client.get("/api/v1/search?q=diamond")
    assert searched.status_code == 200, searched.content
    again = client.get("/api/v1/search/?q=diamond")
    timing = {"cached", "took_ms"}
    assert {k: v for k, v in searched.json().items() if k not in timing} == {
        k: v for k, v in again.json().items() if k not in timing}


def test_pages_and_unknown_api_paths_keep_their_behaviour(client):
    assert client.get("/login").status_code == 301  # APPEND_SLASH still redirects pages
    unknown = client.get("/api/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"

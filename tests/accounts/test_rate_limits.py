"""Rate limits: per user, per account, per address, spoof-proof, and exact across processes.

Small limits are set per test; their windows are an hour or a day long so a window edge never
falls inside a test (the limits use fixed windows).
"""

import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.models import AuthSession
from controlpanel.api.ratelimit import ApiRateLimit, SearchRateLimit
from controlpanel.serve import command as serve_command
from tests.accounts import tally
from tests.conftest import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SUITE = "rate limits"
WRONG = "not-the-password-1"


def client_at(address: str, **headers) -> APIClient:
    return APIClient(REMOTE_ADDR=address, **headers)


def bearer_client(user, address: str = "127.0.0.1") -> APIClient:
    client = client_at(address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client_at(address), user.username)['access']}")
    return client


def api_login(client: APIClient, identifier: str, password: str, **extra):
    return client.post("/api/v1/auth/login/", {"username": identifier, "password": password}, format="json", **extra)


def assert_rate_limited(response, message: str = "Too many requests. Try again later.") -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    assert body["message"] == message
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1
    assert body["details"]["retry_after"] == retry_after


# Per user -----------------------------------------------------------------------------------

def test_a_user_exhausting_the_api_limit_does_not_affect_another_user(settings, user, other_user):
    settings.RATELIMIT_API_RATE = "5/h"
    first, second = bearer_client(user), bearer_client(other_user)
    for _ in range(5):
        assert first.get("/api/v1/auth/me/").status_code == 200
    assert_rate_limited(first.get("/api/v1/auth/me/"))
    response = second.get("/api/v1/auth/me/")
    assert response.status_code == 200
    assert response.json()["username"] == other_user.username
    assert response["X-RateLimit-Remaining"] == "4"
    tally.record(SUITE, tried=1, failed=0)


def test_limited_responses_carry_limit_headers_counting_down_to_zero(settings, user):
    settings.RATELIMIT_API_RATE = "3/h"
    client = bearer_client(user)
    seen = [(r.status_code, r["X-RateLimit-Limit"], r["X-RateLimit-Remaining"])
            for r in (client.get("/api/v1/auth/me/") for _ in range(4))]
    assert seen == [(200, "3", "2"), (200, "3", "1"), (200, "3", "0"), (429, "3", "0")]


def test_a_users_limit_follows_the_user_across_sessions_and_addresses(settings, user):
    settings.RATELIMIT_API_RATE = "4/h"
    phone, laptop = bearer_client(user, "127.0.0.1"), bearer_client(user, "127.0.0.2")
    statuses = [c.get("/api/v1/auth/me/").status_code for c in (phone, laptop, phone, laptop, phone, laptop)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    tally.record(SUITE, tried=1, failed=0)


def test_anonymous_calls_are_limited_per_address(settings):
    settings.RATELIMIT_API_RATE = "2/h"
    here, there = client_at("127.0.0.1"), client_at("127.0.0.2")
    assert [here.get("/api/v1/config/system/").status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(here.get("/api/v1/config/system/"))
    assert there.get("/api/v1/config/system/").json()["version"] == django_settings.VERSION


def test_the_search_scope_is_reusable_and_limits_on_top_of_the_api_limit(settings, user):
    settings.RATELIMIT_API_RATE = "100/h"
    settings.RATELIMIT_SEARCH_RATE = "3/h"

    class Searchish(APIView):
        throttle_classes = [ApiRateLimit, SearchRateLimit]

        def get(self, request):
            return Response({"ok": True})

    view = Searchish.as_view()
    token = login(client_at("127.0.0.1"), user.username)["access"]
    factory = APIRequestFactory()

    def call():
        request = factory.get("/api/v1/searchish/", HTTP_AUTHORIZATION=f"Bearer {token}")
        request.client_ip = "127.0.0.1"
        return view(request)

    statuses = [call().status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # The API-wide scope is untouched by the search scope running out.
    assert bearer_client(user).get("/api/v1/auth/me/").status_code == 200
    tally.record(SUITE, tried=1, failed=0)


# Login per (account, address), and the account's ceiling ------------------------------------------

def test_an_address_that_spent_the_budget_on_an_account_is_locked_even_with_the_right_password(settings, user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "3/h"
    guesser = client_at("127.0.0.10")
    for n in range(3):
        assert api_login(guesser, user.username, WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 401
    refused = api_login(guesser, user.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert_rate_limited(refused, "Too many failed logins for this account. Try again later.")
    assert not AuthSession.objects.filter(user=user).exists()
    tally.record(SUITE, tried=1, failed=0)


def test_a_strangers_failures_from_many_addresses_do_not_lock_the_owner_out_of_a_clean_address(settings, user):
    """Past the account's ceiling every address that failed is refused; a clean one still gets in."""
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "100/h"
    addresses = [f"127.0.{1 + n // 200}.{n % 200 + 1}" for n in range(40)]
    statuses = [api_login(client_at(addresses[n % 40]), user.username, WRONG).status_code for n in range(160)]
    checked = statuses.count(401)
    # The first 100 failures fill the ceiling; past it, each address that already failed is refused.
    assert checked == 100
    after = [api_login(client_at(address), user.username, DEFAULT_PASSWORD).status_code for address in addresses]
    owner = api_login(client_at("127.0.9.9"), user.username, DEFAULT_PASSWORD)
    assert owner.status_code == 200
    assert AuthSession.objects.filter(user=user).count() == 1
    got_through = after.count(200)
    tally.record(SUITE + " (lockout by strangers)", tried=len(statuses) + len(after) + 1,
                 failed=got_through + (owner.status_code != 200))
    assert after == [429] * len(addresses)


def test_past_the_ceiling_a_clean_address_gets_one_guess(settings, user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "3/h"
    for n in range(3):
        assert api_login(client_at(f"127.0.0.{10 + n}"), user.username, WRONG).status_code == 401
    fresh = client_at("127.0.0.50")
    assert api_login(fresh, user.username, WRONG).status_code == 401  # checked: the address had no failure
    assert_rate_limited(api_login(fresh, user.username, DEFAULT_PASSWORD),
                        "Too many failed logins for this account. Try again later.")
    assert api_login(client_at("127.0.0.51"), user.username, DEFAULT_PASSWORD).status_code == 200


def test_username_and_email_spellings_share_one_failure_budget(settings, user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "4/h"
    spellings = [user.username, user.email, user.username.upper(), f"  {user.email.upper()} "]
    guesser = client_at("127.0.0.20")
    for identifier in spellings:
        assert api_login(guesser, identifier, WRONG).status_code == 401
    for identifier in spellings:
        assert_rate_limited(api_login(guesser, identifier, DEFAULT_PASSWORD),
                            "Too many failed logins for this account. Try again later.")
    tally.record(SUITE, tried=1, failed=0)


@pytest.mark.django_db(transaction=True)
def test_racing_failures_get_exactly_the_budget_of_password_checks(settings, user):
    """Attempts are counted before the password is checked, so a burst cannot overshoot."""
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "5/h"
    attempts = 12
    barrier = threading.Barrier(attempts)

    def attempt(n):
        try:
            client = client_at("127.0.0.100")
            barrier.wait(timeout=30)
            return api_login(client, user.username, WRONG).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = sorted(pool.map(attempt, range(attempts)))
    tally.record(SUITE, tried=attempts, failed=abs(statuses.count(401) - 5))
    assert statuses == [401] * 5 + [429] * 7


@pytest.mark.django_db(transaction=True)
def test_racing_from_one_clean_address_past_the_ceiling_gets_one_check(settings, user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "3/h"
    for n in range(3):
        api_login(client_at(f"127.0.0.{110 + n}"), user.username, WRONG)
    attempts = 8
    barrier = threading.Barrier(attempts)

    def attempt(n):
        try:
            client = client_at("127.0.0.120")
            barrier.wait(timeout=30)
            return api_login(client, user.username, WRONG).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = sorted(pool.map(attempt, range(attempts)))
    tally.record(SUITE, tried=attempts, failed=abs(statuses.count(401) - 1))
    assert statuses == [401] + [429] * 7


def test_a_locked_account_does_not_lock_another_account(settings, user, other_user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "2/h"
    for _ in range(2):
        api_login(client_at("127.0.0.1"), user.username, WRONG)
    assert api_login(client_at("127.0.0.1"), user.username, DEFAULT_PASSWORD).status_code == 429
    assert api_login(client_at("127.0.0.1"), other_user.username, DEFAULT_PASSWORD).status_code == 200


def test_successful_logins_do_not_use_up_the_failure_budget(settings, user):
    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "2/h"
    for _ in range(4):
        assert api_login(client_at("127.0.0.1"), user.username, DEFAULT_PASSWORD).status_code == 200


def test_page_login_failures_count_against_the_same_account_budget(settings, user):
    from django.test import Client

    settings.RATELIMIT_LOGIN_ACCOUNT_FAILURES = "2/h"
    browser = Client(REMOTE_ADDR="127.0.0.30")
    for _ in range(2):
        browser.post("/login/", {"username": user.email, "password": WRONG})
    assert_rate_limited(api_login(client_at("127.0.0.30"), user.username, DEFAULT_PASSWORD),
                        "Too many failed logins for this account. Try again later.")
    page = browser.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert page.status_code == 429
    assert "Too many failed sign-ins for this account" in page.content.decode()


# Per address, and which address -----------------------------------------------------------

def test_login_per_address_ignores_a_spoofed_forwarded_for_without_trusted_proxies(settings):
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "3/h"
    accounts = [UserFactory() for _ in range(4)]
    statuses = [
        api_login(client_at("127.0.0.40"), account.username, DEFAULT_PASSWORD,
                  HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n, account in enumerate(accounts)
    ]
    assert statuses == [200, 200, 200, 429]
    assert api_login(client_at("127.0.0.41"), accounts[3].username, DEFAULT_PASSWORD).status_code == 200
    tally.record(SUITE, tried=1, failed=0)


def test_registration_is_limited_per_address_whatever_the_forwarded_for(settings):
    settings.RATELIMIT_REGISTER_ADDRESS_RATE = "2/h"

    def register(address: str, n: int, spoof: str):
        return client_at(address).post(
            "/api/v1/auth/register/",
            {"username": f"painter{n}", "email": f"painter{n}@example.com", "password": "a quiet blue morning"},
            format="json", HTTP_X_FORWARDED_FOR=spoof,
        )

    statuses = [register("127.0.0.50", n, f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [201, 201, 429]
    assert_rate_limited(register("127.0.0.50", 9, "198.51.100.9"))
    assert register("127.0.0.51", 3, "").status_code == 201
    tally.record(SUITE, tried=1, failed=0)


def test_with_one_trusted_proxy_the_right_most_forwarded_address_is_the_client(settings, user):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "2/h"
    proxy = client_at("127.0.0.1")  # created after the setting changed: its middleware reads it
    first = api_login(proxy, user.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.1, 127.0.0.60")
    assert first.status_code == 200
    assert str(AuthSession.objects.get(pk=first.json()["session_id"]).client_ip) == "127.0.0.60"
    # A client prepending its own entries does not change which address is counted.
    assert api_login(proxy, user.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1, 127.0.0.60").status_code == 200
    assert api_login(proxy, user.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2, 127.0.0.60").status_code == 429
    # Another real client behind the same proxy has its own budget.
    assert api_login(proxy, user.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="127.0.0.61").status_code == 200
    tally.record(SUITE, tried=1, failed=0)


def test_without_trusted_proxies_sessions_record_the_socket_address(user):
    response = api_login(client_at("127.0.0.70"), user.username, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert str(AuthSession.objects.get(pk=response.json()["session_id"]).client_ip) == "127.0.0.70"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "203.0.113.1", "127.0.0.1"),
        (1, "", "127.0.0.1"),
        (1, "203.0.113.1", "203.0.113.1"),
        (1, "198.51.100.9, 203.0.113.1", "203.0.113.1"),
        (2, "198.51.100.9, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
        (2, "203.0.113.1", "203.0.113.1"),
    ],
)
def test_client_address_trusts_exactly_the_configured_hops(hops, forwarded, expected):
    from controlpanel.middleware import client_address

    meta = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta, hops) == expected


# Exact across two app processes sharing Redis ---------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _start_app_server(port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        serve_command(["--port", str(port), "--workers", "1", "--log-level", "warning"], environ={}),
        cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def _wait_until_up(port: int, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"app server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if _get(f"http://127.0.0.1:{port}/healthz") == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"app server on port {port} did not start in time")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_api_limit_is_exact_across_two_app_processes_sharing_redis(user):
    limit, attempts = 20, 30
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}},
        "DJANGO_SETTINGS_MODULE": "controlpanel.settings",
        "CONTROLPANEL_TESTING": "true",
        "DEBUG": "false",
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": django_settings.REDIS_URL,
        "CACHE_KEY_PREFIX": django_settings.CACHES["default"]["KEY_PREFIX"],
        "RATELIMIT_API_RATE": f"{limit}/d",
        "LOG_LEVEL": "WARNING",
    }
    ports = [_free_port(), _free_port()]
    servers = [_start_app_server(port, env) for port in ports]
    try:
        deadline = time.monotonic() + 60
        for port, server in zip(ports, servers, strict=True):
            _wait_until_up(port, server, deadline)
        token = login(client_at("127.0.0.1"), user.username)["access"]
        statuses = [_get(f"http://127.0.0.1:{ports[n % 2]}/api/v1/auth/me/", token) for n in range(attempts)]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    allowed = statuses.count(200)
    tally.record(SUITE + " (two processes)", tried=attempts, failed=abs(allowed - limit))
    assert allowed == limit, statuses
    assert statuses.count(429) == attempts - limit
    assert statuses[:limit] == [200] * limit


@pytest.mark.slow
def test_the_api_limit_is_exact_across_two_web_processes_on_the_embedded_default(tmp_path):
    """Two web servers on one SQLite deployment (no Redis) count against one set of counters:
    the default 1000 requests an hour pass, whichever process answers, and the 1001st is refused
    by either."""
    from tests.reliability import harness

    limit = 1000
    env = harness.product_env(CONTROLPANEL_VAR_DIR=str(tmp_path / "var"), RATELIMIT_API_RATE=f"{limit}/h")
    harness.manage(env, "migrate", "--noinput", "-v0")
    with harness.AppServer(env, tmp_path, name="first") as first, harness.AppServer(env, tmp_path, name="second") as second:
        token = harness.register(first.url, "counted")["access"]
        urls = [f"{server.url}/api/v1/auth/me/" for server in (first, second)]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda n: _get(urls[n % 2], token), range(limit)))
        over = [_get(url, token) for url in urls]
    tally.record(SUITE + " (two processes, SQLite)", tried=limit + 2, failed=statuses.count(429) + over.count(200))
    assert statuses == [200] * limit
    assert over == [429, 429]

"""Health probes, the OpenAPI schema and docs, public config, CORS, security headers and the
deploy check."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

PUBLIC_OPERATIONS = {("post", "/api/v1/auth/login/"), ("post", "/api/v1/auth/register/"),
                     ("post", "/api/v1/auth/refresh/"), ("get", "/api/v1/config/system/"),
                     ("post", "/api/v1/auth/password/reset/"), ("post", "/api/v1/auth/password/reset/confirm/"),
                     ("post", "/api/v1/auth/email/verify/")}
EXTERNAL_URL = re.compile(r"""https?://(?!testserver[/:"'])[^\s"'<>)]+""")


# Health ---------------------------------------------------------------------------------------

def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_cache_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] and check["ms"] >= 0 for check in body["checks"].values())


def test_readyz_reports_a_failing_database_with_503(client, monkeypatch):
    """Fault injection: the database check raises as an unreachable server would."""
    from django.db import OperationalError

    from controlpanel import health

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["details"]["checks"]["database"] == {"ok": False, "error": "OperationalError",
                                                     "ms": body["details"]["checks"]["database"]["ms"]}
    assert body["details"]["checks"]["cache"]["ok"] is True


# OpenAPI schema and docs -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer",
                                                                     "bearerFormat": "JWT"}


def test_the_schema_documents_every_auth_and_config_operation(schema):
    documented = {(method, path) for method, path, _ in operations(schema)}
    assert {
        ("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/login/"), ("post", "/api/v1/auth/refresh/"),
        ("post", "/api/v1/auth/logout/"), ("get", "/api/v1/auth/me/"), ("patch", "/api/v1/auth/me/"),
        ("get", "/api/v1/auth/sessions/"), ("delete", "/api/v1/auth/sessions/"),
        ("delete", "/api/v1/auth/sessions/{session_id}/"), ("post", "/api/v1/auth/password/"),
        ("get", "/api/v1/config/user/"), ("put", "/api/v1/config/user/"), ("get", "/api/v1/config/system/"),
    } <= documented


def test_every_operation_documents_its_errors_with_the_envelope(schema):
    envelope_ref = "#/components/schemas/ErrorEnvelope"
    problems = []
    for method, path, operation in operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
        if not errors:
            problems.append(f"{method} {path}: no error responses")
        for code, response in errors.items():
            if response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") != envelope_ref:
                problems.append(f"{method} {path} {code}: not the envelope")
        if (method, path) not in PUBLIC_OPERATIONS and "401" not in errors:
            problems.append(f"{method} {path}: protected but 401 undocumented")
    assert problems == []
    assert set(schema["components"]["schemas"]["ErrorEnvelope"]["properties"]) == {"code", "message", "details"}


def test_public_operations_need_no_credentials_in_the_schema(schema):
    assert "security" not in schema  # no global requirement: each operation states its own
    for method, path, operation in operations(schema):
        if (method, path) in PUBLIC_OPERATIONS:
            assert operation.get("security") in (None, [], [{}]), (method, path)
        else:
            assert {"bearerAuth": []} in operation.get("security", []), (method, path)


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


def test_the_docs_page_loads_only_files_served_from_this_server(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL_URL.search(html)
    parser = _References()
    parser.feed(html)
    assert parser.urls, "the docs page references no files"
    for url in parser.urls:
        assert url.startswith("/"), url
        if url.startswith(django_settings.STATIC_URL):
            assert finders.find(url[len(django_settings.STATIC_URL):]), f"{url} is not an installed static file"
        else:
            local = client.get(url)
            assert local.status_code == 200, url
            assert not EXTERNAL_URL.search(local.content.decode()), url


def test_the_docs_page_allows_only_its_own_inline_style_by_hash(client):
    csp = client.get("/api/v1/docs/")["Content-Security-Policy"]
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]{44}';", csp)
    assert "'unsafe-inline'" not in csp and "script-src 'self';" in csp


def test_the_docs_script_points_at_this_servers_schema(client):
    script = client.get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/v1/schema/"' in script.content.decode()


# Public config -------------------------------------------------------------------------------

def test_config_system_is_public_and_tells_versions_limits_and_token_lifetimes(api_client):
    response = api_client.get("/api/v1/config/system/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == django_settings.VERSION
    assert set(body) == {"version", "features", "limits", "tokens"}
    assert body["limits"]["api"] == django_settings.RATELIMIT_API_RATE
    assert body["tokens"] == {"access_lifetime_seconds": 900, "refresh_lifetime_seconds": 86400, "refresh_rotates": True}


def test_config_system_follows_the_configured_token_lifetimes(api_client, settings):
    settings.ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
    settings.REFRESH_TOKEN_LIFETIME = timedelta(hours=2)
    tokens = api_client.get("/api/v1/config/system/").json()["tokens"]
    assert (tokens["access_lifetime_seconds"], tokens["refresh_lifetime_seconds"]) == (300, 7200)


def test_config_system_holds_no_secret(api_client):
    text = api_client.get("/api/v1/config/system/").content.decode()
    secrets = [django_settings.SECRET_KEY, django_settings.JWT_SIGNING_KEY, django_settings.METRICS_BEARER_TOKEN,
               django_settings.DATABASES["default"].get("PASSWORD"), django_settings.REDIS_URL,
               str(django_settings.DATABASES["default"]["NAME"])]
    assert not [s for s in secrets if s and s in text]
    assert not re.search(r"(?i)secret|password|postgres|redis://|sqlite", text)


# CORS ----------------------------------------------------------------------------------------

ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]


def preflight(client, path: str, origin: str):
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")


def test_cors_preflight_allows_a_listed_origin_on_the_api_without_credentials(client, cors):
    response = preflight(client, "/api/v1/auth/me/", ALLOWED_ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_cors_exposes_the_request_id_and_rate_limit_headers_to_a_listed_origin(client, cors):
    response = client.get("/api/v1/config/system/", HTTP_ORIGIN=ALLOWED_ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining"} <= exposed


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.com.evil.example",
                                    "http://app.example.com", "null"])
def test_cors_ignores_origins_not_listed(client, cors, origin):
    response = preflight(client, "/api/v1/auth/me/", origin)
    assert not response.has_header("Access-Control-Allow-Origin")


@pytest.mark.parametrize("path", ["/healthz", "/login/", "/admin/login/"])
def test_cors_is_never_applied_outside_the_api(client, cors, path):
    assert not client.get(path, HTTP_ORIGIN=ALLOWED_ORIGIN).has_header("Access-Control-Allow-Origin")
    assert not preflight(client, path, ALLOWED_ORIGIN).has_header("Access-Control-Allow-Origin")


def test_with_no_origins_configured_cors_allows_none(client):
    assert not preflight(client, "/api/v1/auth/me/", ALLOWED_ORIGIN).has_header("Access-Control-Allow-Origin")


# Security headers and cookies -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login/", "/register/", "/"])
def test_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_api_responses_are_not_sniffable_or_frameable(api_client):
    response = api_client.get("/api/v1/config/system/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Type"] == "application/json"


def test_the_session_cookie_is_http_only_and_same_site(client, user):
    from tests.factories import DEFAULT_PASSWORD

    response = client.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_only_the_json_renderer_is_offered_outside_debug(api_client):
    assert django_settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["rest_framework.renderers.JSONRenderer"]
    response = api_client.get("/api/v1/config/system/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406


# The deploy check ------------------------------------------------------------------------------

def _manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    test_only = {"CONTROLPANEL_TESTING", "DJANGO_SETTINGS_MODULE", "BCRYPT_ROUNDS", "CELERY_TASK_ALWAYS_EAGER",
                 "CACHE_KEY_PREFIX", "DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(DJANGO_SETTINGS_MODULE="controlpanel.settings", **env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=django_settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECURE_HTTPS": "true",
    "ALLOWED_HOSTS": "panel.example.com",
    "SECRET_KEY": "prod-like-secret-key-" + "k" * 40,
    "JWT_SIGNING_KEY": "prod-like-jwt-signing-key-" + "j" * 40,
}


@pytest.mark.slow
def test_the_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["SECRET_KEY", "JWT_SIGNING_KEY"])
def test_production_settings_refuse_to_start_without_their_keys(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off." in result.stderr

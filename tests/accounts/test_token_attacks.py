"""The token attack matrix of docs/security.md, against every protected operation of the API.

Operations come from the URL conf (``tests/accounts/operations.py``), so endpoints other apps
add are attacked too. Each attack yields one or more ``Authorization`` values; every one of
them must get 401 with the error envelope (``token_invalid`` for a bearer token,
``not_authenticated`` when no usable credentials were sent) and never a 5xx.
"""

import base64
import json
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuthSession, User
from tests.accounts import tally
from tests.accounts.operations import Operation, api_operations, protected_operations
from tests.factories import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.django_db,
    # HS512 signed with the (HS256-sized) real key is an attack case; PyJWT warns about its length.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

SUITE = "token attacks"
SIGNING_KEY = settings.SIMPLE_JWT["SIGNING_KEY"]
LEEWAY = settings.SIMPLE_JWT["LEEWAY"].total_seconds()


# Token crafting -------------------------------------------------------------------------

def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def sign(payload: dict, *, key: str = SIGNING_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(payload: dict) -> str:
    """An ``alg=none`` token: header and claims, empty signature."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."


def tamper(token: str, **changes) -> str:
    """The same token with changed claims and the original signature (so it no longer matches)."""
    header, _payload, signature = token.split(".")
    return f"{header}.{_b64({**claims_of(token), **changes})}.{signature}"


def bearer(token: str) -> str:
    return f"Bearer {token}"


def fresh_pair(user: User) -> dict:
    """A token pair for a new API session, issued by the real service (no password hashing)."""
    pair = services.user_login(user=user, user_agent="attack-suite", client_ip="127.0.0.1")
    return {"access": pair.access, "refresh": pair.refresh, "session_id": str(pair.session.pk)}


# The attacks ------------------------------------------------------------------------------

@dataclass
class World:
    user: User
    other_user: User
    client: APIClient


def no_header(world):
    return [None]


def other_scheme(world):
    return [f"Token {fresh_pair(world.user)['access']}", f"JWT {fresh_pair(world.user)['access']}"]


def token_in_query_string(world):
    return [("query", fresh_pair(world.user)["access"])]


def garbage(world):
    return [bearer("garbage"), bearer("a.b.c"), bearer("x" * 5000), "Bearer", "Bearer two parts", "Bearer caf\u00e9.\u00e9.\u00e9"]


def alg_none(world):
    claims = claims_of(fresh_pair(world.user)["access"])
    return [bearer(unsigned(claims)), bearer(unsigned(claims)[:-1] + ".c2ln")]


def wrong_key(world):
    claims = claims_of(fresh_pair(world.user)["access"])
    return [bearer(sign(claims, key="another-key-of-enough-length-0123456789abcdef"))]


def other_algorithm(world):
    """HS512 with the right key: the algorithm is allow-listed, not taken from the token."""
    claims = claims_of(fresh_pair(world.user)["access"])
    return [bearer(sign(claims, algorithm="HS512"))]


def tampered_claims(world):
    mine = fresh_pair(world.user)["access"]
    theirs = fresh_pair(world.other_user)
    return [
        bearer(tamper(mine, user_id=world.other_user.pk)),
        bearer(tamper(mine, sid=theirs["session_id"])),
        bearer(tamper(mine, exp=int(time.time()) + 10**6)),
        bearer(tamper(mine, token_type="access", user_id=str(world.other_user.pk))),
    ]


def validly_signed_but_mismatched(world):
    """Signed with the real key, yet user and session do not belong together (or are malformed)."""
    mine = fresh_pair(world.user)
    theirs = fresh_pair(world.other_user)
    claims = claims_of(mine["access"])
    without_sid = {k: v for k, v in claims.items() if k != "sid"}
    return [
        bearer(sign({**claims, "user_id": world.other_user.pk})),
        bearer(sign({**claims, "sid": theirs["session_id"]})),
        bearer(sign(without_sid)),
        bearer(sign({**claims, "sid": "not-a-uuid"})),
        bearer(sign({**claims, "sid": "00000000-0000-0000-0000-000000000000"})),
        bearer(sign({**claims, "user_id": "1 OR 1=1"})),
        bearer(sign({**claims, "user_id": None})),
        bearer(sign({k: v for k, v in claims.items() if k != "token_type"})),
        bearer(sign({k: v for k, v in claims.items() if k != "exp"})),
    ]


def expired(world):
    claims = claims_of(fresh_pair(world.user)["access"])
    past = int(time.time() - LEEWAY - 60)
    return [bearer(sign({**claims, "iat": past - 900, "exp": past}))]


def refresh_as_access(world):
    return [bearer(fresh_pair(world.user)["refresh"])]


def after_logout(world):
    pair = fresh_pair(world.user)
    response = world.client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=bearer(pair["access"]))
    assert response.status_code == 204
    return [bearer(pair["access"])]


def after_rotation_and_replay(world):
    """The rotated pair and the original access token all die once the old refresh is replayed."""
    original = fresh_pair(world.user)
    rotated = world.client.post("/api/v1/auth/refresh/", {"refresh": original["refresh"]}, format="json")
    assert rotated.status_code == 200
    replay = world.client.post("/api/v1/auth/refresh/", {"refresh": original["refresh"]}, format="json")
    assert replay.status_code == 401
    return [bearer(original["access"]), bearer(rotated.json()["access"])]


def deleted_user(world):
    pair = fresh_pair(world.user)
    world.user.delete()
    return [bearer(pair["access"])]


def inactive_user(world):
    pair = fresh_pair(world.user)
    User.objects.filter(pk=world.user.pk).update(is_active=False)
    return [bearer(pair["access"])]


def after_password_change(world):
    stale = fresh_pair(world.user)
    current = fresh_pair(world.user)
    response = world.client.post(
        "/api/v1/auth/password/", {"current_password": DEFAULT_PASSWORD, "new_password": "a brand new melody"},
        format="json", HTTP_AUTHORIZATION=bearer(current["access"]),
    )
    assert response.status_code == 200
    return [bearer(stale["access"])]


def after_admin_revoke(world):
    pair = fresh_pair(world.user)
    services.sessions_revoke_all(user=world.user, reason="admin_revoke")
    return [bearer(pair["access"])]


def session_expired(world):
    pair = fresh_pair(world.user)
    AuthSession.objects.filter(pk=pair["session_id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    return [bearer(pair["access"])]


ATTACKS = {
    "no_header": (no_header, "not_authenticated"),
    "other_scheme": (other_scheme, "not_authenticated"),
    "token_in_query_string": (token_in_query_string, "not_authenticated"),
    "garbage": (garbage, "token_invalid"),
    "alg_none": (alg_none, "token_invalid"),
    "wrong_key": (wrong_key, "token_invalid"),
    "other_algorithm": (other_algorithm, "token_invalid"),
    "tampered_claims": (tampered_claims, "token_invalid"),
    "validly_signed_but_mismatched": (validly_signed_but_mismatched, "token_invalid"),
    "expired_beyond_leeway": (expired, "token_invalid"),
    "refresh_as_access": (refresh_as_access, "token_invalid"),
    "after_logout": (after_logout, "token_invalid"),
    "after_rotation_and_replay": (after_rotation_and_replay, "token_invalid"),
    "deleted_user": (deleted_user, "token_invalid"),
    "inactive_user": (inactive_user, "token_invalid"),
    "after_password_change": (after_password_change, "token_invalid"),
    "after_admin_revoke": (after_admin_revoke, "token_invalid"),
    "session_expired": (session_expired, "token_invalid"),
}


# Running them -----------------------------------------------------------------------------

def send(client: APIClient, op: Operation, credential) -> "HttpResponse":  # noqa: F821
    extra, path = {}, op.path
    if isinstance(credential, tuple):  # ("query", token): a token offered in the URL
        path = f"{op.path}?access_token={credential[1]}&token={credential[1]}"
    elif credential is not None:
        extra["HTTP_AUTHORIZATION"] = credential
    body = None if op.method in {"GET", "DELETE"} else json.dumps({})
    return client.generic(op.method, path, body or "", content_type="application/json", **extra)


def refusal_problem(response, expected_code: str, credential) -> str | None:
    """Why a response is not a proper refusal, or None when it is one."""
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if response.status_code != 401:
        return f"status {response.status_code}, expected 401"
    try:
        body = response.json()
    except ValueError:
        return "body is not JSON"
    if set(body) != {"code", "message", "details"}:
        return f"not the error envelope: {body}"
    if body["code"] != expected_code:
        return f"code {body['code']!r}, expected {expected_code!r}"
    if not response.has_header("WWW-Authenticate"):
        return "no WWW-Authenticate header"
    if isinstance(credential, str) and len(credential) > 40 and credential.split()[-1] in response.content.decode():
        return "the token is echoed in the body"
    return None


def test_the_matrix_covers_every_accounts_operation():
    operations = {(op.method, op.route) for op in protected_operations()}
    assert {
        ("POST", "api/v1/auth/logout/"),
        ("GET", "api/v1/auth/me/"),
        ("PATCH", "api/v1/auth/me/"),
        ("GET", "api/v1/auth/sessions/"),
        ("DELETE", "api/v1/auth/sessions/"),
        ("DELETE", "api/v1/auth/sessions/<uuid:session_id>/"),
        ("POST", "api/v1/auth/password/"),
        ("GET", "api/v1/config/user/"),
        ("PUT", "api/v1/config/user/"),
    } <= operations
    public = {(op.method, op.route) for op in api_operations() if op.public}
    assert public == {
        ("POST", "api/v1/auth/register/"),
        ("POST", "api/v1/auth/login/"),
        ("POST", "api/v1/auth/refresh/"),
        ("POST", "api/v1/auth/password/reset/"),
        ("POST", "api/v1/auth/password/reset/confirm/"),
        ("POST", "api/v1/auth/email/verify/"),
        ("GET", "api/v1/config/system/"),
    } | {o for o in public if not o[1].startswith(("api/v1/auth/", "api/v1/config/"))}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_refused_by_every_protected_operation(attack, user, other_user):
    make_credentials, expected_code = ATTACKS[attack]
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    credentials = make_credentials(World(user=user, other_user=other_user, client=client))
    failures, tried = [], 0
    for op in protected_operations():
        for credential in credentials:
            tried += 1
            problem = refusal_problem(send(client, op, credential), expected_code, credential)
            if problem:
                failures.append(f"{op}: {problem}")
    figures = tally.record(SUITE, tried=tried, failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)


def test_a_valid_token_is_accepted_by_every_protected_operation(staff_user):
    """The control: the same requests with a live token get past authentication (no 401, no 5xx)."""
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    failures = []
    operations = protected_operations()
    for op in operations:
        response = send(client, op, bearer(fresh_pair(staff_user)["access"]))
        if response.status_code == 401 or response.status_code >= 500:
            failures.append(f"{op}: status {response.status_code} {response.content[:200]!r}")
    figures = tally.record("token control (valid token accepted)", tried=len(operations), failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)


def test_an_access_token_expired_within_the_leeway_is_still_accepted(api_client, user):
    claims = claims_of(fresh_pair(user)["access"])
    just_expired = int(time.time() - LEEWAY / 2)
    api_client.credentials(HTTP_AUTHORIZATION=bearer(sign({**claims, "exp": just_expired})))
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username


# The refresh endpoint (public, so outside the matrix above) -------------------------------

def refresh_attempts(user: User, other_user: User, client: APIClient) -> dict[str, str]:
    pair = fresh_pair(user)
    claims = claims_of(pair["refresh"])
    theirs = fresh_pair(other_user)
    logged_out = fresh_pair(user)
    client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=bearer(logged_out["access"]))
    changed = fresh_pair(user)
    keeper = fresh_pair(user)
    client.post("/api/v1/auth/password/", {"current_password": DEFAULT_PASSWORD, "new_password": "a brand new melody"},
                format="json", HTTP_AUTHORIZATION=bearer(keeper["access"]))
    past = int(time.time() - LEEWAY - 60)
    return {
        "access_as_refresh": pair["access"],
        "garbage": "garbage",
        "alg_none": unsigned(claims),
        "wrong_key": sign(claims, key="another-key-of-enough-length-0123456789abcdef"),
        "other_algorithm": sign(claims, algorithm="HS512"),
        "tampered_user": tamper(pair["refresh"], user_id=other_user.pk),
        "signed_with_another_users_session": sign({**claims, "sid": theirs["session_id"]}),
        "signed_without_session": sign({k: v for k, v in claims.items() if k != "sid"}),
        "signed_with_malformed_session": sign({**claims, "sid": "not-a-uuid"}),
        "signed_with_unknown_jti": sign({**claims, "jti": "0" * 32}),
        "expired_beyond_leeway": sign({**claims, "exp": past}),
        "after_logout": logged_out["refresh"],
        "after_password_change": changed["refresh"],
    }


REFRESH_REFUSED = {"code": "token_invalid", "message": "The token is invalid, expired or revoked.", "details": {}}


def test_refresh_endpoint_refuses_every_forged_or_dead_refresh_token(api_client, user, other_user):
    failures, tried = [], 0
    for name, raw in refresh_attempts(user, other_user, api_client).items():
        tried += 1
        response = api_client.post("/api/v1/auth/refresh/", {"refresh": raw}, format="json")
        if response.status_code != 401 or response.json() != REFRESH_REFUSED:
            failures.append(f"{name}: status {response.status_code} {response.content[:200]!r}")
    figures = tally.record(SUITE + " (auth/refresh)", tried=tried, failed=len(failures))
    assert not failures, f"{figures}\n" + "\n".join(failures)


def test_refresh_with_a_foreign_session_does_not_revoke_that_session(api_client, user, other_user):
    theirs = fresh_pair(other_user)
    claims = claims_of(fresh_pair(user)["refresh"])
    api_client.post("/api/v1/auth/refresh/", {"refresh": sign({**claims, "sid": theirs["session_id"]})}, format="json")
    me = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=bearer(theirs["access"]))
    assert me.status_code == 200
    assert me.json()["username"] == other_user.username


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": None}, {"refresh": 12}, {"refresh": ["a"]},
                                  {"refresh": "x" * 5000}])
def test_refresh_with_a_malformed_body_is_a_validation_error(api_client, body):
    response = api_client.post("/api/v1/auth/refresh/", body, format="json")
    assert response.status_code in (400, 401)
    assert response.json()["code"] in {"validation_error", "token_invalid"}


"""Schemathesis hooks for the schema fuzz (loaded through ``SCHEMATHESIS_HOOKS``).

Every generated request is made as learner A with a live access token (fuzzing logout or
"revoke other sessions" must not leave the rest of the run unauthenticated), and every response
is checked for learner B's data: a response to A that names B is a cross-user leak.
"""

import atexit
import collections
import json
import os
import re
import zlib
from pathlib import Path

import requests
import schemathesis
from schemathesis import AuthContext, Case

BASE_URL = os.environ["FUZZ_BASE_URL"]
USERNAME = os.environ["FUZZ_USERNAME"]
PASSWORD = os.environ["FUZZ_PASSWORD"]
OTHER_USER_MARKERS = [m for m in os.environ.get("FUZZ_OTHER_MARKERS", "").split(",") if m]
# {collection path: [ids]}: learner B's objects, and values that exist for A, per collection.
OTHER_USER_IDS: dict[str, list[str]] = json.loads(os.environ.get("FUZZ_OTHER_IDS", "{}"))
KNOWN_VALUES: dict[str, list[str]] = json.loads(os.environ.get("FUZZ_KNOWN_VALUES", "{}"))


def _under(path: str, table: dict[str, list[str]]) -> list[str]:
    """Values of the collections ``path`` belongs to (``/search/saved/{id}/run/`` is under ``/search/saved/``)."""
    return sorted({v for prefix, values in table.items() if path.startswith(prefix) and path != prefix for v in values})


_TOKEN: dict[str, str | None] = {"access": None}


@schemathesis.auth(refresh_interval=None)
class FreshLogin:
    """Learner A's access token, fetched again after any request answered 401 (logout, password
    change or "revoke other sessions" ended the session it belonged to)."""

    def get(self, case: Case, ctx: AuthContext) -> str:
        if _TOKEN["access"] is None:
            response = requests.post(f"{BASE_URL}/api/v1/auth/login/",
                                     json={"username": USERNAME, "password": PASSWORD}, timeout=30)
            response.raise_for_status()
            _TOKEN["access"] = response.json()["access"]
        return _TOKEN["access"]

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# An HTTP header as the HTTP server in front of Django accepts it: a token name and a non-empty visible ASCII value.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[!-~]([ \t!-~]*[!-~])?")
_COOKIE_VALUE = re.compile(r"[!#-+\--:<-\[\]-~]+")  # RFC 6265 cookie-octets


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """API clients authenticate with bearer tokens; the schema's cookie scheme is the browser's.

    Generated ``Cookie`` values (except in the cases :func:`negates_the_session_cookie` picks),
    and the extra headers negative cases add with names or values HTTP does not allow (``o;``,
    an empty value, bytes past ASCII), are refused by the HTTP server's parser with a bare 400
    before the product sees them, so they test the server, not the API: they are left out.
    """
    session_case = negates_the_session_cookie(case)
    case.cookies = {k: v for k, v in (case.cookies or {}).items()
                    if session_case and isinstance(v, str) and _COOKIE_VALUE.fullmatch(v)}
    aim_saved_search(case)
    keep_a_wrong_type_wrong(case)
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if (k.lower() == "authorization" and not session_case) or (
            k.lower() not in ("cookie", "authorization") and _HEADER_NAME.fullmatch(k) and isinstance(v, str)
            and _HEADER_VALUE.fullmatch(v))}


def negates_the_session_cookie(case) -> bool:
    """A coverage case whose only invalid part is the browser's session cookie (missing, or a value it
    cannot be): sent with that cookie (when HTTP can carry it) and without learner A's bearer token,
    it asks what it means, whether a request without a valid session is refused. Sent with the
    token, as every other case is, it would be a valid request the check expects to be refused."""
    data = _negated(case)
    return getattr(data, "parameter_location", None) == "cookie" and getattr(data, "parameter", None) == "sessionid"


def _negated(case):
    """The coverage phase's account of what a negative case makes invalid; None for any other case."""
    meta = getattr(case, "meta", None)
    if meta is None or meta.generation.mode.is_positive:
        return None
    return getattr(meta.phase, "data", None)


def keep_a_wrong_type_wrong(case) -> None:
    """A coverage case meant to send a boolean query parameter of another type can send ``false``
    (a null or a string, written out): on the wire that is the boolean itself, so the case is
    valid while it is checked as invalid. Such a value becomes a string that is no boolean."""
    data = _negated(case)
    name = getattr(data, "parameter", None)
    if (getattr(data, "parameter_location", None) != "query"
            or not getattr(data, "description", "").endswith("Incorrect type") or not case.query
            or str(case.query.get(name)).lower() not in ("true", "false")):
        return
    parameter = next((p for p in case.operation.query if p.name == name), None)
    if parameter is not None and parameter.definition.get("schema", {}).get("type") == "boolean":
        case.query = {**case.query, name: "neither"}


def aim_saved_search(case) -> None:
    """Two thirds of the schema-valid saves search for a category's name, so they find lessons and are saved
    (a search that finds nothing is not saved): the stateful phase then follows the save's links to read, run
    and delete it. The choice hangs on the generated body, so a seed still replays a run."""
    words = KNOWN_VALUES.get("/api/v1/progress/", [])
    meta = getattr(case, "meta", None)
    if (case.operation.path != "/api/v1/search/save/" or not words or not isinstance(case.body, dict)
            or meta is None or not meta.generation.mode.is_positive):
        return
    digest = zlib.crc32(json.dumps(case.body, sort_keys=True, default=str).encode())
    if digest % 3:
        body = {key: value for key, value in case.body.items() if key != "category"}
        case.body = {**body, "query": words[digest % len(words)]}


# Responses checked, by the kind of case: which checks look at which cases (written out when the run ends).
TALLY: collections.Counter = collections.Counter()
TALLY_FILE = os.environ.get("FUZZ_TALLY_FILE")


def _kind(case) -> list[str]:
    meta = getattr(case, "meta", None)
    if meta is None:
        return ["all"]
    kinds = ["all", "positive" if meta.generation.mode.is_positive else "negative", f"phase:{meta.phase.name.value}"]
    description = getattr(meta.phase.data, "description", None) or ""
    if description.startswith("Unspecified HTTP method:"):
        kinds.append("unsupported_method")
    return kinds


@atexit.register
def _write_tally() -> None:
    if TALLY_FILE:
        Path(TALLY_FILE).write_text(json.dumps(TALLY))


@schemathesis.hook
def after_call(ctx, case, response):
    TALLY.update(_kind(case))
    if response.status_code == 401:
        _TOKEN["access"] = None


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    """About a third of path parameters aim at learner B's objects, a third at values that exist
    for A (lesson and category slugs, A's own ids) so requests get past the lookup; the rest stay
    as generated. The choice hangs on the generated value, so a seed still replays a run."""
    if not path_parameters:
        return path_parameters
    others, known = _under(ctx.operation.path, OTHER_USER_IDS), _under(ctx.operation.path, KNOWN_VALUES)
    aimed = dict(path_parameters)
    for name, value in path_parameters.items():
        digest = zlib.crc32(f"{name}={value}".encode())
        if digest % 3 == 0 and others:
            aimed[name] = others[digest % len(others)]
        elif digest % 3 == 1 and known:
            aimed[name] = known[digest % len(known)]
    return aimed


@schemathesis.check
def no_other_users_data(ctx, response, case) -> bool | None:
    """Learner A never gets learner B's data, nor a 2xx on a path naming B's object."""
    text = response.text or ""
    # A value the request itself carried may be echoed back (e.g. "no such lesson: <slug>").
    sent = " ".join(str(part) for part in (case.path_parameters, case.query, case.body))
    leaked = [marker for marker in OTHER_USER_MARKERS if marker in text and marker not in sent]
    if leaked:
        raise AssertionError(f"response to one learner contains another learner's data: {leaked}")
    others = _under(case.operation.path, OTHER_USER_IDS)
    aimed = [str(v) for v in (case.path_parameters or {}).values() if str(v) in others]
    if aimed and 200 <= response.status_code < 300:
        raise AssertionError(f"{case.method} on another learner's object {aimed} answered {response.status_code}")
    return None

"""Schema fuzz: schemathesis against the product's own OpenAPI schema, every operation.

A gunicorn app server (this run's storage shape) serves ``/api/v1/schema/``; schemathesis
generates requests for every operation from it with a fixed seed, as learner A (a fresh token
per request, see ``fuzz_hooks``), and checks every response:

- no server error; status codes, content types, headers and bodies as the schema documents;
- ``ignored_auth``: a protected operation called without credentials is refused;
- ``use_after_free`` / ``ensure_resource_availability`` on the stateful links;
- ``no_other_users_data``: nothing learner B owns (username, e-mail, session id) ever appears,
  and a third of the generated path parameters are aimed at B's objects (ids in B's lists that
  A's lists do not show): none of those requests may succeed.

The learner pass covers every operation; a second pass as a staff member covers the staff-only
operations (metrics, reports) past their permission check.

Every check runs, ``positive_data_acceptance``, ``negative_data_rejection`` and
``unsupported_method`` included: the API's one request rule (``controlpanel.api.contract``)
refuses whatever the schema does not declare with a 400, and an unserved method with a 405 and
``Allow`` before authentication. The stateful phase follows the schema's OpenAPI links (saving a
search, then reading, running and deleting it; logging in, then revoking that session), which is
where ``use_after_free`` and ``ensure_resource_availability`` look. Where a server rule cannot be
stated in JSON schema (Django's password validators, correct credentials, a known category or
time zone, a marker within the category's lesson count, one answer per check), the operation
documents its 400 and :data:`SERVER_RULES` lets ``positive_data_acceptance`` accept that 400 for
that operation only, through schemathesis's own per-operation configuration.

``RELIABILITY_FUZZ_EXAMPLES`` sets the examples per operation, ``RELIABILITY_FUZZ_PHASES`` the
phases and ``RELIABILITY_FUZZ_PATH_REGEX`` a subset of paths for the learner pass. Every phase
runs in CI with 10 examples per operation; ``scripts/reliability.py fuzz --long`` runs 200. The
learner pass is two tests, the coverage phase (boundary values of every parameter and every
undeclared method: where ``unsupported_method`` and ``missing_required_header`` look, about two
minutes) and the other three, so the test runner's workers run them side by side.
"""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.accounts import tally
from tests.accounts.operations import DUMMY_VALUES as DUMMY_VALUES_CACHED
from tests.accounts.operations import api_operations as api_operations_cached
from tests.reliability import harness
from tests.reliability.figures import note
from tests.reliability.traffic import use_the_product

pytestmark = pytest.mark.slow

SUITE = "schema fuzz"
SEED = os.environ.get("RELIABILITY_FUZZ_SEED", "20261125")
EXAMPLES = os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "10")
PHASES = os.environ.get("RELIABILITY_FUZZ_PHASES", "examples,coverage,fuzzing,stateful")
# The learner pass in two runs the test runner can spread over its workers (a group left empty by PHASES is skipped).
LEARNER_GROUPS = {"coverage": ["coverage"], "generated": ["examples", "fuzzing", "stateful"]}
# A regex over paths to fuzz only some operations (e.g. the coverage phase on a few of them); empty: every one.
PATH_REGEX = os.environ.get("RELIABILITY_FUZZ_PATH_REGEX", "")
# The staff-only operations are reads with no links between them: the stateful phase has nothing to follow there.
STAFF_PHASES = ",".join(phase for phase in PHASES.split(",") if phase != "stateful") or "examples"
# Operations whose schema-valid input can still break a rule only the server knows; each answers a documented
# 400 (409 for a duplicate) for it. Everything else must accept every schema-valid request.
SERVER_RULES = {
    "auth_register_create": "Django's password validators; a username or e-mail already taken or look-alike",
    "auth_login_create": "the credentials must be right (401), the identifier well formed",
    "auth_refresh_create": "the refresh token must be one the server issued",
    "auth_password_create": "the current password must be right; the new one passes the validators",
    "auth_password_reset_confirm_create": "the link's uid and token must be ones the server issued",
    "auth_email_create": "the current password must be right; the address not taken",
    "auth_email_verify_create": "the token must be one the server issued",
    "auth_me_destroy": "the password must be right",
    "auth_me_partial_update": "the e-mail changes only through auth/email/ (email_change_needs_verification)",
    "config_user_update": "a time zone the server knows",
    "lessons_list": "a category that exists",
    "lessons_checks_create": "a choice the check offers",
    "lessons_complete_create": "one answer per check of that lesson, each a choice it offers",
    "progress_update": "a marker within the category's lesson count",
    "progress_bulk_update": "categories that exist, each once, markers within their lesson counts",
    "progress_history_list": "a category that exists; since before until",
    "search_list": "a category that exists",
    "search_save_create": "a category that exists; a name not already saved (409)",
    "metrics_system_retrieve": "a window of 1 minute to 366 days; a series of at most 10,000 points; a host that reports",
    "metrics_performance_retrieve": "a window of 1 minute to 366 days",
    "metrics_telemetry_retrieve": "a window of 1 minute to 366 days",
}
# The create -> read -> delete links the schema declares (controlpanel.api.schema.LINKS) that the stateful phase follows.
LINKS_DECLARED = ("GetSavedSearch", "RunSavedSearch", "DeleteSavedSearch", "RevokeSession")
SERVER_RULE_STATUSES = ["2xx", "400", "401", "403", "404", "409"]
OPEN_LIMITS = {
    "RATELIMIT_API_RATE": "10000000/h",
    "RATELIMIT_LOGIN_ADDRESS_RATE": "10000000/h",
    "RATELIMIT_REGISTER_ADDRESS_RATE": "10000000/h",
    "RATELIMIT_LOGIN_ACCOUNT_FAILURES": "10000000/h",
    "RATELIMIT_SEARCH_RATE": "10000000/m",
}


def staff_only_path_regex() -> str:
    """The staff-only operations (``IsAdminUser``), as a regex over the schema's paths."""
    from django.urls import resolve
    from rest_framework.permissions import IsAdminUser

    from tests.accounts.operations import DUMMY_VALUES, api_operations

    patterns = set()
    for operation in api_operations():
        view = resolve(operation.path).func.cls
        if any(isinstance(p, type) and issubclass(p, IsAdminUser) for p in view.permission_classes):
            segments = [r"\{[^}]+\}" if part in DUMMY_VALUES else re.escape(part)
                        for part in operation.path.split("/")]
            patterns.add("^" + "/".join(segments) + "$")
    return "|".join(sorted(patterns))


def list_paths() -> list[str]:
    return [op.path for op in api_operations_cached() if op.method == "GET" and not op.public
            and not any(d in op.path.split("/") for d in DUMMY_VALUES_CACHED)]


def visible_ids(server, account: dict) -> dict[str, set[str]]:
    """Per list path, the ids and slugs the account sees there."""
    from tests.reliability.test_cross_user import ids_in

    seen = {}
    for path in list_paths():
        response = requests.get(f"{server.url}{path}", headers=harness.bearer(account["access"]), timeout=30)
        if response.status_code == 200:
            seen[path] = ids_in(response.json())
    return seen


def owned_ids(server, owner: dict, stranger: dict) -> str:
    """Per collection, the ids in the owner's list that the stranger's list does not show."""
    mine, theirs = visible_ids(server, owner), visible_ids(server, stranger)
    owned = {path: sorted(ids - theirs.get(path, set())) for path, ids in mine.items()}
    return json.dumps({path: ids for path, ids in owned.items() if ids})


def known_values(server, account: dict) -> str:
    """Per collection, values that exist for the account (lesson and category slugs, its own ids)."""
    from tests.reliability.traffic import progress_categories

    known = {path: sorted(ids)[:100] for path, ids in visible_ids(server, account).items() if ids}
    categories = [slug for slug, _ in progress_categories(server.url, account["access"])]
    if categories:
        known["/api/v1/progress/"] = categories
    return json.dumps(known)


def write_config(logdir: Path) -> Path:
    """schemathesis.toml: the per-operation statuses of :data:`SERVER_RULES` (schemathesis's own configuration)."""
    lines = []
    for operation_id, reason in SERVER_RULES.items():
        lines += [f"# {reason}", "[[operations]]", f'include-operation-id = "{operation_id}"',
                  f"checks.positive_data_acceptance.expected-statuses = {json.dumps(SERVER_RULE_STATUSES)}", ""]
    path = logdir / "schemathesis.toml"
    path.write_text("\n".join(lines))
    return path


def run_schemathesis(server, logdir, account: dict, other: dict, *extra: str, phases: str = PHASES,
                     markers: list[str] | None = None) -> tuple[int, int, str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(harness.BASE_DIR),
        "SCHEMATHESIS_HOOKS": "tests.reliability.fuzz_hooks",
        "FUZZ_BASE_URL": server.url,
        "FUZZ_USERNAME": account["username"],
        "FUZZ_PASSWORD": account["password"],
        "FUZZ_OTHER_MARKERS": ",".join(markers if markers is not None else [
            other["username"], f"{other['username']}@example.com", other["session_id"], "Bravofuzzmarker"]),
        "FUZZ_OTHER_IDS": owned_ids(server, other, account),
        "FUZZ_KNOWN_VALUES": known_values(server, account),
        "FUZZ_TALLY_FILE": str(logdir / "tally.json"),
    }
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(write_config(logdir)),
        "run", f"{server.url}/api/v1/schema/", "--url", server.url,
        "--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED,
        "--phases", phases,
        "--workers", "1", "--request-timeout", "30", "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(logdir / "schemathesis"), *extra,
    ]
    result = subprocess.run(command, env=env, cwd=logdir, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    (logdir / "schemathesis.out").write_text(output)
    generated = re.search(r"(\d+) generated", output)
    failures = re.search(r"(\d+) found (\d+) unique failures", output)
    operations = re.search(r"Tested: (\d+)", output)
    tried = int(generated.group(1)) if generated else 0
    failed = int(failures.group(2)) if failures else (0 if result.returncode == 0 else 1)
    return tried, failed, operations.group(1) if operations else "?", output


def cases_per_check(logdir: Path) -> str:
    """How many responses each kind of check looked at (fuzz_hooks tallies the cases by kind)."""
    tally = json.loads((logdir / "tally.json").read_text()) if (logdir / "tally.json").exists() else {}
    return (f"every response check and no_other_users_data {tally.get('all', 0)}, positive_data_acceptance "
            f"{tally.get('positive', 0)}, negative_data_rejection {tally.get('negative', 0)}, use_after_free and "
            f"ensure_resource_availability {tally.get('phase:stateful', 0)} stateful, unsupported_method "
            f"{tally.get('unsupported_method', 0)}")


def links_covered(output: str) -> tuple[int, int]:
    """(links the stateful phase followed, links the schema declares), from schemathesis's summary."""
    match = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def assert_stateful_ran(output: str, phases: str, *, expected: int) -> None:
    if "stateful" not in phases.split(","):
        return
    covered, selected = links_covered(output)
    assert selected >= expected and covered >= 1, output[-3000:]


@pytest.mark.parametrize("group", list(LEARNER_GROUPS))
def test_every_operation_survives_the_schema_fuzz_as_a_learner(product_server, logdir, group):
    phases = ",".join(phase for phase in LEARNER_GROUPS[group] if phase in PHASES.split(","))
    if not phases:
        pytest.skip(f"RELIABILITY_FUZZ_PHASES={PHASES} leaves out the {group} phases")
    server = product_server(**OPEN_LIMITS)
    learner = harness.register(server.url, f"fuzza{uuid.uuid4().hex[:8]}")
    other = harness.register(server.url, f"fuzzb{uuid.uuid4().hex[:8]}")
    use_the_product(server.url, learner, "Alphafuzzmarker")
    use_the_product(server.url, other, "Bravofuzzmarker")
    tried, failed, operations, output = run_schemathesis(
        server, logdir, learner, other, *(["--include-path-regex", PATH_REGEX] if PATH_REGEX else []), phases=phases)
    covered, selected = links_covered(output)
    links = f"links {covered} of {selected} followed; " if "stateful" in phases else ""
    note(SUITE, f"{server.shape}, learner ({group}): {operations} operations, {tried} cases ({EXAMPLES} examples per "
                f"operation, phases {phases}, seed {SEED}, every check; {links}"
                f"cases per check: {cases_per_check(logdir)}), {failed} failed")
    tally.record(SUITE, tried=tried, failed=failed)
    assert failed == 0, output[-15000:]
    assert tried > 0, output[-3000:]
    assert_stateful_ran(output, phases, expected=len(LINKS_DECLARED))
    if group == "coverage" and not PATH_REGEX:
        tried_methods = json.loads((logdir / "tally.json").read_text()).get("unsupported_method", 0)
        assert tried_methods > 0, "the coverage phase tries the methods each path does not serve"


def test_staff_only_operations_survive_the_schema_fuzz_as_staff(product_server, logdir):
    staff_paths = staff_only_path_regex()
    assert staff_paths, "metrics and reports are staff-only operations"
    server = product_server(**OPEN_LIMITS)
    staff = harness.register(server.url, f"fuzzs{uuid.uuid4().hex[:8]}")
    harness.manage(server.env, "shell", "-c",
                   f"from accounts.models import User; User.objects.filter(pk={staff['id']}).update(is_staff=True)")
    other = harness.register(server.url, f"fuzzb{uuid.uuid4().hex[:8]}")
    # Staff see learners' activity in aggregate (top searches, active users); only session ids
    # (credentials) must never show.
    tried, failed, operations, output = run_schemathesis(server, logdir, staff, other,
                                                         "--include-path-regex", staff_paths,
                                                         phases=STAFF_PHASES, markers=[other["session_id"]])
    note(SUITE, f"{server.shape}, staff: {operations} staff-only operations, {tried} cases (phases {STAFF_PHASES}, "
                f"every check; cases per check: {cases_per_check(logdir)}), {failed} failed")
    tally.record(SUITE, tried=tried, failed=failed)
    assert failed == 0, output[-15000:]
    assert tried > 0, output[-3000:]

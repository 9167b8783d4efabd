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

Left out on purpose: ``unsupported_method`` (authentication and permissions are decided before
the method, so a client without the right credentials learns nothing about which methods exist:
401/403 come before 405), ``positive_data_acceptance`` (server-side rules no JSON schema can state,
such as Django's password validators, known time zones or correct credentials, reject some
schema-valid input with a documented 400) and ``negative_data_rejection`` (the API ignores
unknown query parameters, as HTTP APIs conventionally do).

``RELIABILITY_FUZZ_EXAMPLES`` sets the examples per operation and ``RELIABILITY_FUZZ_PHASES``
the phases: 10 examples without the coverage phase in CI (a couple of minutes on two cores);
``scripts/reliability.py fuzz --long`` runs every phase with 200 examples.
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
# The coverage phase (boundary values for every parameter, undeclared methods) takes minutes on
# two cores: the long form runs it; ``test_methods`` covers undeclared methods in the short one.
PHASES = os.environ.get("RELIABILITY_FUZZ_PHASES", "examples,fuzzing,stateful")
EXCLUDED_CHECKS = "positive_data_acceptance,negative_data_rejection,unsupported_method"
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


def run_schemathesis(server, logdir, account: dict, other: dict, *extra: str,
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
    }
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/api/v1/schema/", "--url", server.url,
        "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS, "--max-examples", EXAMPLES, "--seed", SEED,
        "--phases", PHASES,
        "--workers", "1", "--request-timeout", "30", "--suppress-health-check", "all",
        "--report", "junit", "--report-dir", str(logdir / "schemathesis"), *extra,
    ]
    result = subprocess.run(command, env=env, cwd=logdir, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    generated = re.search(r"(\d+) generated", output)
    failures = re.search(r"(\d+) found (\d+) unique failures", output)
    operations = re.search(r"Tested: (\d+)", output)
    tried = int(generated.group(1)) if generated else 0
    failed = int(failures.group(2)) if failures else (0 if result.returncode == 0 else 1)
    return tried, failed, operations.group(1) if operations else "?", output


def test_every_operation_survives_the_schema_fuzz_as_a_learner(product_server, logdir):
    server = product_server(**OPEN_LIMITS)
    learner = harness.register(server.url, f"fuzza{uuid.uuid4().hex[:8]}")
    other = harness.register(server.url, f"fuzzb{uuid.uuid4().hex[:8]}")
    use_the_product(server.url, learner, "Alphafuzzmarker")
    use_the_product(server.url, other, "Bravofuzzmarker")
    tried, failed, operations, output = run_schemathesis(server, logdir, learner, other)
    note(SUITE, f"{server.shape}, learner: {operations} operations, {tried} cases ({EXAMPLES} examples per "
                f"operation, phases {PHASES}, seed {SEED}), {failed} failed")
    tally.record(SUITE, tried=tried, failed=failed)
    assert failed == 0, output[-15000:]
    assert tried > 0, output[-3000:]


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
                                                         markers=[other["session_id"]])
    note(SUITE, f"{server.shape}, staff: {operations} staff-only operations, {tried} cases, {failed} failed")
    tally.record(SUITE, tried=tried, failed=failed)
    assert failed == 0, output[-15000:]
    assert tried > 0, output[-3000:]

"""Every HTTP method on every API operation, as a signed-in learner: never a 5xx.

Generated from the URL conf (``tests.accounts.operations``), so new endpoints are covered. The
schema fuzz found ``OPTIONS /api/v1/progress/{category}/`` answering 500 (DRF's metadata
describes PUT fields through ``get_object()``); this keeps every method of every route honest.
"""

import pytest
from rest_framework.test import APIClient

from tests.accounts import tally
from tests.accounts.operations import api_operations
from tests.conftest import login

pytestmark = pytest.mark.django_db

SUITE = "schema fuzz (every method)"
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


def test_every_method_on_every_api_path_answers_without_a_server_error(settings, user):
    settings.RATELIMIT_LOGIN_ADDRESS_RATE = "100000/h"
    paths = sorted({op.path for op in api_operations()})
    failures, tried = [], 0
    for path in paths:
        for method in METHODS:
            client = APIClient(REMOTE_ADDR="127.0.0.1")  # a fresh session: logout or revocations end the last one
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, user.username)['access']}")
            response = client.generic(method, path, "{}", content_type="application/json")
            tried += 1
            if response.status_code >= 500:
                failures.append((method, path, response.status_code))
            elif response.status_code >= 400 and method != "HEAD":
                body = response.json()
                if set(body) != {"code", "message", "details"}:
                    failures.append((method, path, response.status_code, body))
    tally.record(SUITE, tried=tried, failed=len(failures))
    assert failures == []


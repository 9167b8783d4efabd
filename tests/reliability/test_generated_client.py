"""A typed client generated from the live schema drives the learner journey against a real server.

``openapi-python-client`` (pinned in requirements-dev.txt) generates a package from
``/api/v1/schema/`` served by a gunicorn app server on this run's storage shape; the test imports
it and goes register -> login -> open a lesson -> answer its checks -> complete it -> progress ->
search -> save the search -> logout, through the generated functions and models only. A schema
the generator cannot read, a parameter it documents wrong or a body it leaves out breaks this.
"""

import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow

PACKAGE = "cp_generated_client"


def generate_client(server, workdir: Path):
    """Generate the client package from the server's schema into ``workdir`` and import it."""
    schema = workdir / "schema.json"
    schema.write_bytes(requests.get(f"{server.url}/api/v1/schema/", params={"format": "json"}, timeout=60).content)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # it formats with ruff
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(schema), "--meta", "none",
         "--output-path", str(workdir / PACKAGE), "--overwrite"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output, output  # a schema piece the generator skipped is a schema bug
    sys.path.insert(0, str(workdir))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))


def test_the_learner_journey_through_a_client_generated_from_the_schema(product_server, logdir, tmp_path):
    server = product_server()
    generate_client(server, tmp_path)
    from cp_generated_client import client as clients
    from cp_generated_client.api.auth import (
        auth_login_create,
        auth_logout_create,
        auth_me_retrieve,
        auth_register_create,
    )
    from cp_generated_client.api.lessons import (
        lessons_checks_create,
        lessons_complete_create,
        lessons_list,
        lessons_retrieve,
    )
    from cp_generated_client.api.progress import progress_list, progress_summary_retrieve
    from cp_generated_client.api.search import search_list, search_save_create, search_saved_list
    from cp_generated_client.models import (
        ErrorEnvelope,
        LessonCheckInputRequest,
        LessonCompleteInputRequest,
        LoginInputRequest,
        RegisterInputRequest,
        SavedSearchInputRequest,
    )

    anonymous = clients.Client(base_url=server.url, raise_on_unexpected_status=True)
    username, password = f"gen{uuid.uuid4().hex[:8]}", "generated-client-passphrase-1"
    registered = auth_register_create.sync_detailed(
        client=anonymous, body=RegisterInputRequest(username=username, email=f"{username}@example.com", password=password))
    assert registered.status_code == 201, registered.content
    assert registered.parsed.user.username == username

    login = auth_login_create.sync_detailed(client=anonymous, body=LoginInputRequest(username=username, password=password))
    assert login.status_code == 200, login.content
    learner = clients.AuthenticatedClient(base_url=server.url, token=login.parsed.access, raise_on_unexpected_status=True)

    listed = lessons_list.sync_detailed(client=learner, page_size=100)
    assert listed.status_code == 200 and listed.parsed.count > 0, listed.content
    lesson = next(item for item in listed.parsed.results if item.status == "not_started")
    detail = lessons_retrieve.sync_detailed(lesson.slug, client=learner)
    assert detail.status_code == 200, detail.content
    assert detail.parsed.title == lesson.title and detail.parsed.checks

    answers = []
    for check in detail.parsed.checks:
        feedback = lessons_checks_create.sync_detailed(lesson.slug, check.order, client=learner,
                                                       body=LessonCheckInputRequest(choice=0))
        assert feedback.status_code == 200, feedback.content
        assert feedback.parsed.first_try and feedback.parsed.order == check.order
        answers.append(feedback.parsed.answer)
    completed = lessons_complete_create.sync_detailed(lesson.slug, client=learner,
                                                      body=LessonCompleteInputRequest(answers=answers))
    assert completed.status_code == 200, completed.content
    assert completed.parsed.newly_completed and completed.parsed.progress.status == "completed"

    progress = progress_list.sync_detailed(client=learner, page_size=100)
    assert progress.status_code == 200, progress.content
    row = next(r for r in progress.parsed.results if r.category.slug == lesson.category.slug)
    assert row.progress == 1 and row.total_lessons >= 1
    summary = progress_summary_retrieve.sync_detailed(client=learner)
    assert summary.parsed.lessons_completed == 1

    word = lesson.title.split()[0]
    found = search_list.sync_detailed(client=learner, q=word)
    assert found.status_code == 200, found.content
    assert lesson.slug in [hit.slug for hit in found.parsed.results]
    saved = search_save_create.sync_detailed(client=learner, body=SavedSearchInputRequest(query=word, name="Mine"))
    assert saved.status_code == 201, saved.content
    assert lesson.slug in [item.slug for item in saved.parsed.results]
    mine = search_saved_list.sync_detailed(client=learner)
    assert [(s.id, s.name, s.query) for s in mine.parsed.results] == [(saved.parsed.id, "Mine", word)]

    assert auth_logout_create.sync_detailed(client=learner).status_code == 204
    refused = auth_me_retrieve.sync_detailed(client=learner)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, ErrorEnvelope) and refused.parsed.code == "token_invalid"

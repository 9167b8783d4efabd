"""Fixtures for the dashboard page tests (Django's test client, real sessions)."""

import re

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def signed_in(user, **extra) -> Client:
    """A browser-like client signed in through the login page, so it has a browser session row."""
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", **extra)
    response = client.post("/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def page_client(user) -> Client:
    return signed_in(user)


@pytest.fixture
def staff_page_client(staff_user) -> Client:
    return signed_in(staff_user)


def assert_clean_html(html: str) -> None:
    """The page keeps to the CSP: no inline scripts and no style attributes."""
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not STYLE_ATTRIBUTE.search(html), STYLE_ATTRIBUTE.search(html).group(0)


@pytest.fixture
def catalog(db):
    """The authored lesson catalog, loaded the way ``make run`` loads it."""
    from django.core.management import call_command

    call_command("load_lessons", verbosity=0)

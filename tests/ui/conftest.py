"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

One browser per test session, a fresh context (cookies, storage) per test. A failing test saves a
full-page screenshot to ``test-artifacts/``. Without ``/usr/bin/chromium`` the tests skip locally
and fail under ``CI=true`` (``.ci/run`` installs it).
"""

import os
import re
from pathlib import Path

import pytest

from tests.conftest import require
from tests.factories import DEFAULT_PASSWORD

# The sync Playwright API runs an event loop in this thread; Django's ORM calls made from the
# test body (seeding, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"]
TIMEOUT_MS = 15_000


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Make pages in fresh browser contexts; every page is screenshotted if the test fails."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::")[-1])
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
                except Exception:  # a crashed page still lets the others be saved
                    pass
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in(page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/home/")

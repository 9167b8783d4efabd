"""The interactive API docs in a real Chromium: they render, under the page CSP, with every
request staying on this server.

The browser reaches the live server under a non-loopback name (``panel.test``, mapped to
127.0.0.1 inside Chromium only), because Swagger UI behaves differently on ``localhost``
(it skips its online validator badge there), and production does not run on localhost.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import require

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
HOST = "panel.test"


@pytest.fixture
def chromium(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright runs an event loop in this thread
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.ui
def test_the_docs_render_under_the_csp_without_leaving_this_server(chromium, live_server, settings, transactional_db):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    origin = f"http://{HOST}:{urlsplit(live_server.url).port}"
    page = chromium.new_page()
    requested, console = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{origin}/api/v1/docs/", timeout=20_000)
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/auth/login/" in text for text in operations)
    foreign = [url for url in requested if not url.startswith((origin + "/", "data:"))]
    assert foreign == []
    problems = [line for line in console if ("Content Security Policy" in line or line.startswith("error"))
                and "Cross-Origin-Opener-Policy" not in line]  # COOP needs HTTPS; production has it
    assert problems == [], "\n".join(problems)

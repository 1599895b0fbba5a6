"""End-to-end tests in a real browser: Playwright for Python driving Debian's chromium.

The browser is the system's (`/usr/bin/chromium`, installed by .ci/run); Playwright's own browser
downloads are never used. Tests run against pytest-django's live server on a phone viewport.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.factories import TEST_PASSWORD

# Playwright's sync API runs an event loop in this thread; the tests' own ORM calls are still
# synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 800}


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        # A skip, which KUUSIKKO_REQUIRE_SERVICES=1 (CI) turns into a failure.
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def plain_static_storage(settings, tmp_path):
    """The live server serves static files from the finders; no collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # WhiteNoise warns about a missing STATIC_ROOT; the finders serve the files in tests.
    settings.STATIC_ROOT = tmp_path


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh phone-sized context (own cookies and storage)."""
    contexts = []

    def open_page(viewport=PHONE):
        context = browser.new_context(
            viewport=viewport,
            locale="fi-FI",
            timezone_id="Europe/Helsinki",
            base_url=live_server.url,
            # The accessibility check injects axe-core into the page.
            bypass_csp=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in():
    def sign_in(page, username: str, password: str = TEST_PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_url("**/")

    return sign_in

"""End-to-end tests in a real browser: Playwright for Python driving Debian's chromium.

The browser is the system's (`/usr/bin/chromium`, installed by .ci/run); Playwright's own browser
downloads are never used. Tests run against pytest-django's live server on a phone viewport.
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings

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


@pytest.fixture(scope="session")
def plain_http_server(request):
    """pytest-django's live server, speaking plain HTTP on localhost.

    Tests run with DEBUG off, where SECURE_SSL_REDIRECT sends every request to HTTPS. The
    redirect is read when the server's middleware is loaded, which happens while it starts, so
    it is switched off for the start only (not with override_settings, whose exit would also
    undo the live server's own ALLOWED_HOSTS change). Secure cookies work as they are: browsers
    treat http://localhost as a secure context.
    """
    redirect = settings.SECURE_SSL_REDIRECT
    settings.SECURE_SSL_REDIRECT = False
    try:
        return request.getfixturevalue("live_server")
    finally:
        settings.SECURE_SSL_REDIRECT = redirect


@pytest.fixture(autouse=True)
def plain_static_storage(plain_http_server, settings):
    """The live server serves static files from the finders; no collectstatic manifest.

    Depends on the server so that it starts first: the `settings` fixture's undo at the end
    of a test would otherwise also undo the server's ALLOWED_HOSTS entry.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def new_page(browser, plain_http_server, live_server):
    """Open a page in a fresh phone-sized context (own cookies and storage).

    `live_server` is named here too (it is the same server): pytest-django adds the server's
    host to ALLOWED_HOSTS for each test that names it.
    """
    contexts = []
    # Script errors and anything the Content-Security-Policy refused fail the test.
    page_errors: list[str] = []

    def watch(page):
        page.on("pageerror", lambda error: page_errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and "Content Security Policy" in message.text
                and page_errors.append(f"{page.url}: {message.text}")
            ),
        )
        return page

    def open_page(viewport=PHONE):
        context = browser.new_context(
            viewport=viewport,
            locale="fi-FI",
            timezone_id="Europe/Helsinki",
            base_url=plain_http_server.url,
            # Pages run under the real Content-Security-Policy (axe-core is evaluated through
            # the DevTools protocol, which the policy does not govern).
            bypass_csp=False,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()
    assert page_errors == []


@pytest.fixture
def sign_in():
    def sign_in(page, username: str, password: str = TEST_PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_url("**/")

    return sign_in

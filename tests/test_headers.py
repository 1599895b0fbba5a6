"""Secure defaults: the settings a production process starts with, the headers and cookies they
produce, the idle session timeout, the Content-Security-Policy and error pages without detail."""

import datetime
import json
import os
import subprocess  # noqa: S404
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.urls("tests.security_urls")

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "kuusikko.example.fi",
    "CSRF_TRUSTED_ORIGINS": "https://kuusikko.example.fi",
    "DATABASE_URL": "postgres://kuusikko@db.example.fi/kuusikko",
}


def settings_in_a_fresh_process(env: dict[str, str], names: list[str]) -> dict:
    """The settings a new process gets from `env` alone (no .env file, nothing inherited)."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}, default=str))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_are_secure_without_any_knob_set():
    values = settings_in_a_fresh_process(
        PRODUCTION_ENV,
        [
            "DEBUG",
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SESSION_COOKIE_AGE",
            "SESSION_SAVE_EVERY_REQUEST",
            "SECURE_PROXY_SSL_HEADER",
            "X_FRAME_OPTIONS",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "SECURE_REFERRER_POLICY",
        ],
    )

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_AGE": 2 * 3600,
        "SESSION_SAVE_EVERY_REQUEST": True,
        # Not behind a proxy unless told so: X-Forwarded-Proto could be forged.
        "SECURE_PROXY_SSL_HEADER": None,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
    }


def test_knobs_come_from_the_environment():
    values = settings_in_a_fresh_process(
        {
            **PRODUCTION_ENV,
            "SESSION_COOKIE_AGE": "900",
            "TRUSTED_PROXY_COUNT": "1",
            "SIGNIN_COOLOFF_MINUTES": "30",
            "SIGNIN_FAILURE_LIMIT": "10",
        },
        [
            "SESSION_COOKIE_AGE",
            "SECURE_PROXY_SSL_HEADER",
            "AXES_COOLOFF_TIME",
            "AXES_FAILURE_LIMIT",
        ],
    )

    assert values == {
        "SESSION_COOKIE_AGE": 900,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "AXES_COOLOFF_TIME": "0:30:00",
        "AXES_FAILURE_LIMIT": 10,
    }


def test_a_production_process_without_a_secret_key_does_not_start():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    with pytest.raises(subprocess.CalledProcessError) as failed:
        settings_in_a_fresh_process(env, ["DEBUG"])

    assert "SECRET_KEY" in failed.value.stderr


# --- Headers -----------------------------------------------------------------------------------


def test_security_headers_on_a_page(client, db):
    response = client.get("/admin/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_plain_http_is_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/?next=/admin/"


def test_https_terminated_by_a_trusted_proxy_is_not_redirected(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(client, db):
    UserFactory(username="maija.virtanen", is_staff=True)

    form = client.get("/admin/login/", secure=True)
    signed_in = client.post(
        "/admin/login/",
        {"username": "maija.virtanen", "password": TEST_PASSWORD, "next": "/admin/"},
        secure=True,
    )

    csrf = form.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    session = signed_in.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["max-age"] == 2 * 3600


def test_the_session_ends_after_the_idle_time_not_while_in_use(client, db, now, time_machine):
    user = UserFactory(username="maija.virtanen", is_staff=True)
    client.force_login(user)

    # Activity every 90 minutes keeps the session: each request renews it for two hours.
    for minutes in (90, 180, 270):
        time_machine.move_to(now + datetime.timedelta(minutes=minutes), tick=False)
        assert client.get("/admin/").status_code == 200

    time_machine.move_to(now + datetime.timedelta(minutes=270 + 121), tick=False)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Content-Security-Policy -------------------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects what a strict CSP blocks, as (kind, detail): inline scripts and on*="" handlers
    ("script"), <style> blocks and style="" attributes ("style")."""

    DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on"):
                self.found.append(("script", f"<{tag} {name}=...>"))
        if "style" in attributes:
            self.found.append(("style", f'<{tag} style="{attributes["style"]}">'))
        if tag == "style":
            self.found.append(("style", "<style> block"))
        if tag == "script" and not attributes.get("src"):
            if (attributes.get("type") or "text/javascript") not in self.DATA_SCRIPT_TYPES:
                self.found.append(("script", "inline <script>"))

    @classmethod
    def in_page(cls, html: str) -> list[tuple[str, str]]:
        parser = cls()
        parser.feed(html)
        return parser.found


def assert_strict_csp(response):
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.fixture
def superuser(db):
    return UserFactory(username="paakayttaja", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/axes/accessattempt/",
        "/admin/password_change/",
    ],
)
def test_admin_pages_have_a_strict_csp_and_nothing_inline_it_would_block(client, superuser, path):
    client.force_login(superuser)

    response = client.get(path)

    assert response.status_code == 200
    assert_strict_csp(response)
    assert InlineCode.in_page(response.content.decode()) == []


def test_the_sign_in_page_has_a_strict_csp(client, db):
    response = client.get("/admin/login/")

    assert_strict_csp(response)
    assert InlineCode.in_page(response.content.decode()) == []


def test_api_docs_are_self_hosted_and_nothing_inline(client, superuser):
    client.force_login(superuser)

    page = client.get("/test/api/docs/")
    script = client.get("/test/api/docs/?script=")

    assert page.status_code == 200
    assert_strict_csp(page)
    html = page.content.decode()
    assert InlineCode.in_page(html) == []
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_browsable_api_runs_no_inline_script(client, superuser):
    client.force_login(superuser)

    response = client.get("/test/api/read/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert_strict_csp(response)
    blocked = InlineCode.in_page(response.content.decode())
    # DRF's page floats two buttons with style="" attributes and inlines pygments' colours for
    # code in view descriptions: the policy drops those cosmetic touches. Every script, and so
    # every function of the page, comes from a file.
    assert [kind for kind, _ in blocked if kind == "script"] == []


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


@pytest.mark.urls("config.urls")
def test_api_docs_in_the_project_use_the_csp_friendly_views():
    """SpectacularSwaggerView and SpectacularRedocView inline their start-up scripts."""
    from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

    inline = [
        route
        for route, callback in _views(get_resolver().url_patterns)
        if getattr(callback, "view_class", None) in (SpectacularSwaggerView, SpectacularRedocView)
    ]

    assert inline == [], "serve Swagger UI with SpectacularSwaggerSplitView"


# --- Error pages -------------------------------------------------------------------------------


def test_database_outage_is_answered_503_with_retry_after_and_no_detail(db, client):
    client.raise_request_exception = False

    page = client.get("/test/database-down/")
    api = client.get("/test/database-down/", HTTP_ACCEPT="application/json")

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert "server closed the connection" not in page.content.decode()
    assert "Traceback" not in page.content.decode()
    assert api.status_code == 503
    assert set(api.json()) == {"detail"}


def test_a_bug_is_answered_500_without_its_detail(db, client):
    client.raise_request_exception = False

    response = client.get("/test/broken/")

    assert response.status_code == 500
    assert "secret detail" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    assert "Retry-After" not in response

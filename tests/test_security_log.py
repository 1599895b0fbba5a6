"""The security log: JSON lines with UTC time, who, where and what, and never a secret."""

import io
import json
import logging

import pytest
from django.core.cache import cache

from config.jsonlog import JsonLinesFormatter
from config.security import fingerprint, security_event
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.urls("tests.security_urls")

OFFICE_IP = "198.51.100.10"


class SecurityLog:
    """What the "kuusikko.security" logger wrote, formatted as in production."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    def named(self, name: str) -> list[dict]:
        return [event for event in self.events if event["event"] == name]


@pytest.fixture
def security_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger("kuusikko.security")
    logger.addHandler(handler)
    try:
        yield SecurityLog(stream)
    finally:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _empty_rate_limit_counters():
    cache.clear()


@pytest.fixture
def maija(db):
    return UserFactory(username="maija.virtanen", is_staff=True)


def admin_sign_in(client, username, password, ip=OFFICE_IP):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def test_the_security_log_is_one_json_object_a_line_in_utc(security_log, now, rf):
    request = rf.get("/somewhere/", REMOTE_ADDR=OFFICE_IP)

    security_event("export", request, kind="contacts", rows=12)

    [event] = security_log.events
    assert event["time"] == "2026-03-10T07:30:00.000+00:00"  # 09:30 in Helsinki
    assert event == {
        "time": event["time"],
        "level": "INFO",
        "logger": "kuusikko.security",
        "event": "export",
        "user_id": None,
        "ip": OFFICE_IP,
        "method": "GET",
        "path": "/somewhere/",
        "kind": "contacts",
        "rows": 12,
    }


def test_successful_sign_in_is_logged_with_who_and_where(client, maija, security_log):
    admin_sign_in(client, "maija.virtanen", TEST_PASSWORD)

    [event] = security_log.named("signin_succeeded")
    assert event["user_id"] == maija.pk
    assert event["username"] == "maija.virtanen"
    assert event["ip"] == OFFICE_IP
    assert event["path"] == "/admin/login/"
    assert event["method"] == "POST"


def test_failed_sign_in_of_a_known_user_is_logged_without_the_password(client, maija, security_log):
    admin_sign_in(client, "maija.virtanen", "Väärä-salasana-2026")

    [event] = security_log.named("signin_failed")
    assert event["level"] == "WARNING"
    assert event["user_id"] == maija.pk
    assert event["username"] == "maija.virtanen"
    assert event["locked_out"] is False
    assert "Väärä-salasana-2026" not in security_log.text


def test_an_unknown_username_is_logged_only_as_a_fingerprint(client, db, security_log):
    # A password typed into the username field must not end up in the log.
    admin_sign_in(client, "Salainen-Tunnus-99", "anything at all")

    [event] = security_log.named("signin_failed")
    assert event["user_id"] is None
    assert "username" not in event
    assert event["username_fingerprint"] == fingerprint("Salainen-Tunnus-99")
    assert "Salainen-Tunnus-99" not in security_log.text
    assert "anything at all" not in security_log.text


def test_a_lockout_is_logged_once_when_it_starts(client, maija, security_log, now):
    for _ in range(5):
        admin_sign_in(client, "maija.virtanen", "wrong password")

    [event] = security_log.named("signin_locked_out")
    assert event["level"] == "WARNING"
    assert event["user_id"] == maija.pk
    assert event["ip"] == OFFICE_IP
    assert event["failure_limit"] == 5
    assert event["cooloff_seconds"] == 900
    assert [e["locked_out"] for e in security_log.named("signin_failed")] == [
        False,
        False,
        False,
        False,
        True,
    ]
    # The lockout's 429 is not logged a second time as a rate limit.
    assert security_log.named("rate_limited") == []


def test_sign_out_is_logged(client, maija, security_log):
    client.force_login(maija)

    client.post("/admin/logout/")

    [event] = security_log.named("signed_out")
    assert event["user_id"] == maija.pk


def test_a_django_permission_denial_is_logged(client, maija, security_log):
    client.force_login(maija)

    assert client.get("/test/forbidden/", REMOTE_ADDR=OFFICE_IP).status_code == 403

    [event] = security_log.named("permission_denied")
    assert event["user_id"] == maija.pk
    assert event["path"] == "/test/forbidden/"
    assert event["ip"] == OFFICE_IP


def test_an_api_permission_denial_is_logged_with_the_api_user(client, db, security_log):
    user = UserFactory(username="ei.yllapitaja", is_staff=False)
    client.force_login(user)

    assert client.get("/test/api/admin-only/").status_code == 403

    [event] = security_log.named("permission_denied")
    assert event["user_id"] == user.pk
    assert event["path"] == "/test/api/admin-only/"


def test_a_csrf_failure_is_logged_as_a_permission_denial(db, security_log):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 403

    assert len(security_log.named("permission_denied")) == 1


def test_a_rate_limited_request_is_logged(client, db, settings, security_log, now):
    settings.SIGNIN_RATE_LIMIT = "1/m"

    admin_sign_in(client, "someone", "guess")
    admin_sign_in(client, "someone", "guess")

    [event] = security_log.named("rate_limited")
    assert event["path"] == "/admin/login/"


def test_token_events_carry_a_fingerprint_never_the_token(rf, maija, security_log):
    token_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    request = rf.post("/api/v1/auth/token/")
    request.user = maija

    security_event("token_created", request, token_fingerprint=fingerprint(token_key))
    security_event("token_revoked", request, token_fingerprint=fingerprint(token_key))

    created, revoked = security_log.events
    assert created["event"] == "token_created" and revoked["event"] == "token_revoked"
    assert created["user_id"] == maija.pk
    assert created["token_fingerprint"] == revoked["token_fingerprint"]
    assert token_key not in security_log.text


@pytest.mark.parametrize("field", ["password", "token", "Key", "secret", "authorization"])
def test_security_event_refuses_secret_like_fields(rf, field, security_log):
    with pytest.raises(ValueError, match="refusing secret-like fields"):
        security_event("oops", rf.get("/"), **{field: "hunter2"})

    assert security_log.text == ""


def test_a_whole_session_leaves_no_secret_in_the_log(client, maija, security_log):
    admin_sign_in(client, "maija.virtanen", "first a wrong one")
    admin_sign_in(client, "maija.virtanen", TEST_PASSWORD)
    session_key = client.cookies["sessionid"].value
    csrf_token = client.cookies["csrftoken"].value
    client.get("/test/search/?q=Matti+Meikäläinen", REMOTE_ADDR=OFFICE_IP)
    client.get("/test/forbidden/?q=Matti+Meikäläinen")
    client.post("/admin/logout/")

    names = [event["event"] for event in security_log.events]
    assert names == ["signin_failed", "signin_succeeded", "permission_denied", "signed_out"]
    for secret in [TEST_PASSWORD, "first a wrong one", session_key, csrf_token, "Matti"]:
        assert secret not in security_log.text

"""Signing in to the API (tokens, sessions), the public schema and docs, language, throttling."""

from __future__ import annotations

import datetime
import logging

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from config.security import fingerprint
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ENDPOINTS = [
    "/api/v1/municipalities/",
    "/api/v1/users/",
    "/api/v1/users/me/",
    "/api/v1/organisations/",
    "/api/v1/contacts/",
    "/api/v1/networks/",
    "/api/v1/topics/",
    "/api/v1/goals/",
    "/api/v1/meetings/",
    "/api/v1/follow-ups/",
    "/api/v1/reminders/",
    "/api/v1/notifications/",
]


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_user_gets_a_token_with_username_and_password_and_uses_it(anonymous, trustee):
    response = anonymous.post(TOKEN, {"username": trustee.username, "password": TEST_PASSWORD})

    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=trustee).key == key
    me = token_client(key).get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["username"] == trustee.username


def test_asking_again_returns_the_same_token(anonymous, trustee):
    credentials = {"username": trustee.username, "password": TEST_PASSWORD}

    first = anonymous.post(TOKEN, credentials).json()["token"]
    second = anonymous.post(TOKEN, credentials).json()["token"]

    assert first == second


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "trustee.tervo", "password": "wrong-password"},
        {"username": "nobody", "password": TEST_PASSWORD},
        {"username": "trustee.tervo"},
    ],
)
def test_wrong_or_missing_credentials_get_no_token(anonymous, trustee, credentials):
    response = anonymous.post(TOKEN, credentials)

    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.exists()


def test_a_closed_account_gets_no_token(anonymous):
    closed = UserFactory(is_active=False)

    response = anonymous.post(TOKEN, {"username": closed.username, "password": TEST_PASSWORD})

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_a_user_revokes_their_token_and_it_stops_working(anonymous, trustee, staff):
    key = Token.objects.create(user=trustee).key
    others = Token.objects.create(user=staff).key

    response = token_client(key).delete(TOKEN)

    assert response.status_code == 204
    assert not Token.objects.filter(user=trustee).exists()
    assert token_client(key).get("/api/v1/users/me/").status_code == 401
    assert token_client(others).get("/api/v1/users/me/").status_code == 200


def test_revoking_needs_a_signed_in_caller(anonymous, trustee):
    Token.objects.create(user=trustee)

    assert anonymous.delete(TOKEN).status_code == 401
    assert Token.objects.filter(user=trustee).exists()


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_requests_get_401_everywhere(anonymous, url):
    response = anonymous.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


def test_an_unknown_token_is_401(anonymous):
    response = token_client("0" * 40).get("/api/v1/meetings/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Epäkelpo token."}


def test_a_token_answers_as_its_own_user_and_stops_when_the_account_is_closed(trustee, staff):
    # The token's user is read with SQL compiled once (config.db.compiled): each key still
    # finds its own user, and a closed account's token is refused as DRF refuses it.
    keys = {user: Token.objects.create(user=user).key for user in (trustee, staff)}

    for user in (trustee, staff, trustee):
        response = token_client(keys[user]).get("/api/v1/users/me/")
        assert (response.status_code, response.json()["username"]) == (200, user.username)

    staff.is_active = False
    staff.save(update_fields=["is_active"])
    response = token_client(keys[staff]).get("/api/v1/users/me/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Käyttäjä ei-aktiivinen tai poistettu."}
    assert token_client(keys[trustee]).get("/api/v1/users/me/").status_code == 200


def test_schema_and_docs_are_public(anonymous):
    schema = anonymous.get("/api/schema/")
    docs = anonymous.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/meetings/" in schema.content
    assert docs.status_code == 200
    assert b"swagger-ui-bundle.js" in docs.content
    assert b"cdn." not in docs.content  # no third-party CDN
    script = anonymous.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert b"/api/schema/" in script.content


def test_session_sign_in_works_for_the_web_ui_with_csrf(trustee):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(trustee)

    assert client.get("/api/v1/users/me/").status_code == 200
    # A write without the CSRF token is refused for a session (not for a token).
    assert client.post("/api/v1/organisations/", {"name": "Uusi"}).status_code == 403


# --- Language ----------------------------------------------------------------------------------


def test_errors_speak_the_token_users_own_language(anonymous, trustee):
    key = Token.objects.create(user=trustee).key
    trustee.language = "fi"
    trustee.save()

    finnish = token_client(key).post("/api/v1/meetings/", {}, HTTP_ACCEPT_LANGUAGE="en")

    assert finnish.json() == {"title": ["Tämä kenttä vaaditaan."]}
    assert finnish["Content-Language"] == "fi"
    trustee.language = "en"
    trustee.save()
    english = token_client(key).post("/api/v1/meetings/", {}, HTTP_ACCEPT_LANGUAGE="fi")
    assert english.json() == {"title": ["This field is required."]}
    assert english["Content-Language"] == "en"


def test_session_users_get_their_own_language_too(trustee):
    trustee.language = "en"
    trustee.save()
    client = APIClient()
    client.force_login(trustee)

    response = client.post("/api/v1/follow-ups/", {}, HTTP_ACCEPT_LANGUAGE="fi")

    assert response.json()["description"] == ["This field is required."]


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        ("fi", "Autentikaatiotunnuksia ei annettu."),
        ("en", "Authentication credentials were not provided."),
    ],
)
def test_anonymous_requests_follow_accept_language(anonymous, accept_language, message):
    response = anonymous.get("/api/v1/meetings/", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.json() == {"detail": message}


# --- Throttling --------------------------------------------------------------------------------


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for a test (DRF reads them once, at import)."""

    def set_rates(**rates: str) -> None:
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {
                "anon": "1000/min",
                "user": "1000/min",
                "auth_token": "1000/min",
                "search": "1000/min",
                **rates,
            },
        )

    return set_rates


def test_token_requests_are_rate_limited(anonymous, trustee, rates):
    rates(auth_token="3/min")
    wrong = {"username": trustee.username, "password": "guess"}

    statuses = [anonymous.post(TOKEN, wrong).status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]
    limited = anonymous.post(TOKEN, {"username": trustee.username, "password": TEST_PASSWORD})
    assert limited.status_code == 429
    assert "Retry-After" in limited
    assert not Token.objects.exists()


def test_anonymous_clients_are_rate_limited(anonymous, rates):
    rates(anon="2/min")

    statuses = [anonymous.get("/api/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_signed_in_clients_are_rate_limited_per_user(client_for, trustee, staff, rates):
    rates(user="2/min")
    client = client_for(trustee)

    statuses = [client.get("/api/v1/municipalities/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client_for(staff).get("/api/v1/municipalities/").status_code == 200


# --- Sign-in protection and the security log (config/security.py) ----------------------------


def test_repeated_wrong_passwords_lock_the_token_sign_in_out(anonymous, trustee):
    wrong = {"username": trustee.username, "password": "wrong"}

    statuses = [anonymous.post(TOKEN, wrong).status_code for _ in range(5)]
    right = anonymous.post(TOKEN, {"username": trustee.username, "password": TEST_PASSWORD})

    # The fifth failure locks the username from this address (django-axes), in JSON for the
    # API; then even the right password gets no token until the cool-off ends.
    assert statuses == [400, 400, 400, 400, 429]
    assert right.status_code == 429
    assert right.json()["reason"] == "locked_out"
    assert not Token.objects.exists()


def test_token_creation_and_revocation_are_in_the_security_log(anonymous, trustee, caplog):
    caplog.set_level(logging.INFO, logger="kuusikko.security")
    key = anonymous.post(TOKEN, {"username": trustee.username, "password": TEST_PASSWORD}).json()[
        "token"
    ]
    token_client(key).delete(TOKEN)

    events = {
        record.getMessage(): record.security
        for record in caplog.records
        if record.name == "kuusikko.security"
    }
    assert events["token_created"]["user_id"] == trustee.pk
    assert events["token_created"]["token_fingerprint"] == fingerprint(key)
    assert events["token_revoked"]["user_id"] == trustee.pk
    assert events["token_revoked"]["token_fingerprint"] == fingerprint(key)
    assert key not in caplog.text


def test_a_throttled_client_is_told_when_to_come_back(client_for, trustee, rates, time_machine):
    rates(user="2/min")
    client = client_for(trustee)
    start = datetime.datetime(2026, 3, 10, 7, 30, 10, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)

    statuses = [client.get("/api/v1/municipalities/").status_code for _ in range(3)]
    refused = client.get("/api/v1/municipalities/")

    assert statuses == [200, 200, 429]
    # Four requests in this minute (refused ones count): the next is allowed once the window
    # has slid far enough that they weigh one (config/ratelimit.py).
    assert refused["Retry-After"] == "95"
    time_machine.move_to(start + datetime.timedelta(seconds=95), tick=False)
    assert client.get("/api/v1/municipalities/").status_code == 200


def test_searches_have_a_rate_of_their_own(client_for, trustee, rates):
    rates(search="2/min")
    client = client_for(trustee)

    searches = [
        client.get("/api/v1/contacts/", {"search": "virtanen"}).status_code for _ in range(3)
    ]
    plain = client.get("/api/v1/contacts/").status_code

    assert searches == [200, 200, 429]
    assert plain == 200

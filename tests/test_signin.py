"""Sign-in protection: lockout per username + IP (django-axes), the per-IP sign-in rate limit,
and the password rules."""

import datetime

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.urls("tests.security_urls")

ATTACKER_IP = "203.0.113.66"
OFFICE_IP = "198.51.100.10"
COOLOFF = datetime.timedelta(minutes=15)


@pytest.fixture(autouse=True)
def _empty_rate_limit_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def maija(db):
    return UserFactory(username="maija.virtanen", is_staff=True)


@pytest.fixture
def pekka(db):
    return UserFactory(username="pekka.korhonen", is_staff=True)


def admin_sign_in(client, username, password, ip, **extra):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        **extra,
    )


def fail_five_times(client, username, ip):
    responses = [admin_sign_in(client, username, "wrong password", ip) for _ in range(5)]
    return responses


def test_settings_lock_after_five_failures_for_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == COOLOFF
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_five_wrong_passwords_lock_that_username_from_that_ip(client, maija, now):
    responses = fail_five_times(client, "maija.virtanen", ATTACKER_IP)

    # The first four are ordinary failures (the form again); the fifth trips the lock.
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    locked = admin_sign_in(client, "maija.virtanen", TEST_PASSWORD, ATTACKER_IP)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(COOLOFF.total_seconds()))
    assert "_auth_user_id" not in client.session


def test_lockout_does_not_lock_another_user_on_the_same_ip(client, maija, pekka, now):
    fail_five_times(client, "maija.virtanen", OFFICE_IP)

    response = admin_sign_in(client, "pekka.korhonen", TEST_PASSWORD, OFFICE_IP)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(pekka.pk)


def test_attacker_elsewhere_cannot_lock_the_real_user_out(client, maija, now):
    fail_five_times(client, "maija.virtanen", ATTACKER_IP)

    response = admin_sign_in(client, "maija.virtanen", TEST_PASSWORD, OFFICE_IP)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(maija.pk)


def test_right_password_works_again_after_the_cooloff(client, maija, now, time_machine):
    fail_five_times(client, "maija.virtanen", OFFICE_IP)

    time_machine.move_to(now + COOLOFF - datetime.timedelta(seconds=1), tick=False)
    assert admin_sign_in(client, "maija.virtanen", TEST_PASSWORD, OFFICE_IP).status_code == 429

    time_machine.move_to(now + COOLOFF + datetime.timedelta(seconds=1), tick=False)
    response = admin_sign_in(client, "maija.virtanen", TEST_PASSWORD, OFFICE_IP)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(maija.pk)


def test_retry_after_counts_down_and_attempts_during_lockout_do_not_extend_it(
    client, maija, now, time_machine
):
    fail_five_times(client, "maija.virtanen", OFFICE_IP)

    time_machine.move_to(now + datetime.timedelta(minutes=5), tick=False)
    response = admin_sign_in(client, "maija.virtanen", "wrong again", OFFICE_IP)
    assert response.status_code == 429
    assert response["Retry-After"] == str(10 * 60)

    time_machine.move_to(now + datetime.timedelta(minutes=14), tick=False)
    assert admin_sign_in(client, "maija.virtanen", "x", OFFICE_IP)["Retry-After"] == "60"


def test_a_successful_sign_in_forgets_earlier_failures(client, maija, now):
    for _ in range(4):
        admin_sign_in(client, "maija.virtanen", "wrong password", OFFICE_IP)
    assert admin_sign_in(client, "maija.virtanen", TEST_PASSWORD, OFFICE_IP).status_code == 302
    client.logout()

    for _ in range(4):
        assert admin_sign_in(client, "maija.virtanen", "typo", OFFICE_IP).status_code == 200
    assert admin_sign_in(client, "maija.virtanen", TEST_PASSWORD, OFFICE_IP).status_code == 302


def test_lockout_page_speaks_the_users_language_and_has_no_inline_script(client, maija, now):
    fail_five_times(client, "maija.virtanen", OFFICE_IP)

    response = admin_sign_in(
        client, "maija.virtanen", TEST_PASSWORD, OFFICE_IP, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Too many failed sign-in attempts for this username" in body
    assert "15 minutes" in body
    assert "<script" not in body and "style=" not in body


def test_api_sign_in_is_locked_out_with_json_429(client, maija, settings, now):
    for _ in range(4):
        response = client.post(
            "/test/api/sign-in/",
            {"username": "maija.virtanen", "password": "wrong"},
            content_type="application/json",
            REMOTE_ADDR=OFFICE_IP,
        )
        assert response.status_code == 400

    for password in ["wrong", TEST_PASSWORD]:
        response = client.post(
            "/test/api/sign-in/",
            {"username": "maija.virtanen", "password": password},
            content_type="application/json",
            REMOTE_ADDR=OFFICE_IP,
        )
        assert response.status_code == 429
        assert response["Retry-After"] == "900"
        assert response.json()["reason"] == "locked_out"
        assert response.json()["retry_after"] == 900


def test_the_web_sign_in_page_is_protected_the_same_way(client, maija, settings, now):
    def web_sign_in(password):
        return client.post(
            "/accounts/login/",
            {"username": "maija.virtanen", "password": password},
            REMOTE_ADDR=OFFICE_IP,
        )

    assert [web_sign_in("wrong").status_code for _ in range(5)] == [200] * 4 + [429]
    assert web_sign_in(TEST_PASSWORD).status_code == 429

    settings.SIGNIN_RATE_LIMIT = "1/m"
    cache.clear()
    client.post("/accounts/login/", {"username": "x", "password": "y"}, REMOTE_ADDR=ATTACKER_IP)
    throttled = client.post(
        "/accounts/login/", {"username": "x", "password": "y"}, REMOTE_ADDR=ATTACKER_IP
    )
    assert throttled.status_code == 429
    assert "Retry-After" in throttled


def test_client_ip_behind_a_trusted_proxy_is_the_forwarded_one(client, maija, settings, now):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(5):
        admin_sign_in(
            client,
            "maija.virtanen",
            "wrong",
            "10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER_IP}",  # the client forged the first entry
        )

    from_office = admin_sign_in(
        client, "maija.virtanen", TEST_PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR=OFFICE_IP
    )
    assert from_office.status_code == 302


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, maija, now):
    for n in range(5):
        admin_sign_in(
            client, "maija.virtanen", "wrong", ATTACKER_IP, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        )

    locked = admin_sign_in(
        client, "maija.virtanen", TEST_PASSWORD, ATTACKER_IP, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert locked.status_code == 429


# --- Per-IP sign-in rate limit -----------------------------------------------------------------
# The clock is frozen (`now`) at the start of a window: the limit counts in windows aligned to
# the clock.


def test_sign_in_posts_beyond_the_rate_from_one_ip_get_429_with_retry_after(
    db, client, settings, now
):
    settings.SIGNIN_RATE_LIMIT = "3/10m"

    statuses = [
        admin_sign_in(client, f"someone{n}", "guess", ATTACKER_IP).status_code for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    response = admin_sign_in(client, "someone-else", "guess", ATTACKER_IP)
    assert response.status_code == 429
    # The window slides: the attempts weigh on the next ten minutes too (config/ratelimit.py).
    assert 600 < int(response["Retry-After"]) <= 2 * 600
    # Another address is not affected, nor is viewing the sign-in form.
    assert admin_sign_in(client, "someone", "guess", OFFICE_IP).status_code == 200
    assert client.get("/admin/login/", REMOTE_ADDR=ATTACKER_IP).status_code == 200


def test_sign_in_rate_limit_covers_views_registered_by_name(db, client, settings, now):
    settings.SIGNIN_RATE_LIMIT = "2/m"
    settings.SIGNIN_VIEW_NAMES = [*settings.SIGNIN_VIEW_NAMES, "test-api-sign-in"]

    statuses = [
        client.post(
            "/test/api/sign-in/",
            {"username": f"someone{n}", "password": "guess"},
            content_type="application/json",
            REMOTE_ADDR=ATTACKER_IP,
        ).status_code
        for n in range(3)
    ]

    assert statuses == [400, 400, 429]


@pytest.mark.parametrize(
    ("text", "count", "seconds"),
    [("30/10m", 30, 600), ("5/minute", 5, 60), ("100/h", 100, 3600), ("1000/d", 1000, 86400)],
)
def test_rates_are_parsed(text, count, seconds):
    from config.ratelimit import Rate

    assert Rate.parse(text) == Rate(count, seconds)


@pytest.mark.parametrize("text", ["", "0/m", "ten/m", "5/fortnight"])
def test_bad_rates_are_refused(text):
    from config.ratelimit import Rate

    with pytest.raises(ValueError):
        Rate.parse(text)


# --- Password rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "kuusi kuntaa tekee yhteistyötä",  # a long passphrase of plain lowercase words
        "8403917265530182",  # all digits, but long and random
        "vesanto-tervo-keitele",
        "x" * 3 + "a long passphrase that goes on and on for well over a hundred characters " * 2,
    ],
)
def test_long_passphrases_are_accepted_without_composition_rules(db, password):
    user = UserFactory.build(username="maija.virtanen", email="maija@kunta.example.fi")
    validate_password(password, user=user)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Lyhyt-1!", "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("1q2w3e4r5t6y", "too common"),
        ("maija.virtanen", "too similar"),
        ("maija@kunta.example.fi", "too similar"),
    ],
)
def test_short_common_or_personal_passwords_are_refused(db, password, reason):
    user = UserFactory.build(username="maija.virtanen", email="maija@kunta.example.fi")

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password(password, user=user)

    assert reason in " ".join(refused.value.messages)

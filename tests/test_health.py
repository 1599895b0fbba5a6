"""/healthz and /readyz."""

import pytest
from django.db import OperationalError

from tests.processes import free_port, start_redis


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django would fail this test on any database access.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_probes_pass_host_validation_and_the_https_redirect(client, db, settings):
    # A container's probe: plain HTTP to Host: localhost, which production does not serve.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["kuusikko.example.fi"]

    assert client.get("/healthz", HTTP_HOST="localhost:8000").status_code == 200
    assert client.get("/readyz/", HTTP_HOST="localhost:8000").status_code == 200
    assert client.get("/admin/login/", HTTP_HOST="localhost:8000").status_code == 400


def test_readyz_checks_the_database(client, db, settings, django_assert_num_queries):
    settings.REDIS_URL = ""

    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured"},
    }


def test_readyz_is_503_when_the_database_is_down(client, db, settings, monkeypatch):
    settings.REDIS_URL = ""

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused, password=hunter2")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", refuse)
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable (OperationalError)", "redis": "not configured"},
    }
    assert "hunter2" not in response.content.decode()


def test_readyz_checks_redis_when_configured(client, db, settings):
    redis = start_redis()
    try:
        settings.REDIS_URL = redis.url
        assert client.get("/readyz").json()["checks"]["redis"] == "ok"

        redis.kill()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {
            "database": "ok",
            "redis": "unavailable (ConnectionError)",
        }
        assert client.get("/healthz").status_code == 200
    finally:
        redis.kill()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_set_no_cookies(client, db, settings, path):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get(path)

    assert response.cookies == {}

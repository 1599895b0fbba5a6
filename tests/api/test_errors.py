"""One shape for errors, in the user's language, and never a 500 for bad input."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from advocacy.models import Meeting
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def token_client(user, language: str) -> APIClient:
    """Signed in with a token, as an integrator: the user's own language applies."""
    user.language = language
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
    return client


@pytest.fixture
def client(trustee):
    return token_client(trustee, "en")


def test_validation_errors_map_fields_to_lists_of_messages(client):
    response = client.post("/api/v1/meetings/", {"kind": "telepathy", "title": ""})

    assert response.status_code == 400
    assert response.json() == {
        "kind": ['"telepathy" is not a valid choice.'],
        "title": ["This field may not be blank."],
    }


def test_errors_of_a_service_have_the_same_shape(client, trustee):
    response = client.post(
        "/api/v1/follow-ups/",
        {"description": "Orpo", "assignee": trustee.pk, "due_date": "2026-05-01"},
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A follow-up arises from a meeting or a goal."]}


def test_other_errors_are_a_detail_message(client):
    missing = client.get("/api/v1/meetings/987654/")

    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}


def test_the_same_errors_in_finnish(trustee):
    client = token_client(trustee, "fi")

    missing = client.get("/api/v1/meetings/987654/")
    invalid = client.post("/api/v1/meetings/", {"kind": "telepathy", "title": ""})

    assert missing.json() == {"detail": "Ei löydy."}
    assert invalid.json() == {
        "kind": ['"telepathy" ei ole kelvollinen valinta.'],
        "title": ["Tämä kenttä ei voi olla tyhjä."],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"title": "NUL\x00tavu"},
        {"title": "x" * 201},
        {"title": "ok", "occurred_at": "eilen"},
        {"title": "ok", "occurred_at": "0612-04-25T09:22:54Z"},
        {"title": "ok", "contacts": [2**70]},
        {"title": "ok", "contacts": "1,2"},
        {"title": "ok", "follow_ups": [{"assignee": 2**70}]},
    ],
    ids=[
        "nul-byte",
        "too-long",
        "bad-date",
        "year-612",
        "huge-id",
        "not-a-list",
        "nested-huge-id",
    ],
)
def test_bad_input_is_400_never_500(client, body):
    response = client.post("/api/v1/meetings/", body)

    assert response.status_code == 400
    assert Meeting.objects.count() == 0


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/meetings/", data=b'{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999", "-1"])
def test_odd_ids_in_the_path_are_404(client, trustee, pk):
    MeetingFactory(author=trustee)

    assert client.get(f"/api/v1/meetings/{pk}/").status_code == 404


def test_a_body_of_a_media_type_the_api_does_not_read_is_a_documented_415(client, anonymous):
    before = Meeting.objects.count()

    response = client.generic("POST", "/api/v1/meetings/", b"title=x", content_type="")

    assert response.status_code == 415
    assert set(response.json()) == {"detail"}
    assert Meeting.objects.count() == before
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "415" in schema["paths"]["/api/v1/meetings/"]["post"]["responses"]

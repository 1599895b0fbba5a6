"""The traceability endpoints of the REST API: scoped, logged, and the import round trip."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from crm.models import AccessLog, AccessPurpose, Contact

SPRING = {"start": "2026-01-01", "end": "2026-06-30"}


@pytest.fixture
def api():
    return APIClient()


def test_endpoints_need_authentication(api, world):
    assert api.get("/api/v1/reports/advocacy/", SPRING).status_code in (401, 403)
    assert api.get(f"/api/v1/contacts/{world.mp.pk}/timeline/").status_code in (401, 403)
    assert AccessLog.objects.count() == 0


def test_report_endpoint_counts_what_the_user_may_see(api, world):
    api.force_authenticate(world.carol)
    data = api.get("/api/v1/reports/advocacy/", SPRING).json()

    assert data["meetings"] == 3
    assert data["by_topic"] == [
        {"topic": "Liikenneyhteydet", "meetings": 2},
        {"topic": "Alueen markkinointi", "meetings": 1},
    ]
    assert (data["follow_ups"]["done"], data["follow_ups"]["cancelled"]) == (1, 1)
    assert [r["id"] for r in data["decision_makers_met"]] == [world.mp.pk, world.official.pk]
    assert AccessLog.objects.get().purpose == AccessPurpose.REPORT_EXPORT


def test_report_endpoint_rejects_bad_filters_with_field_errors(api, world):
    api.force_authenticate(world.carol)
    response = api.get("/api/v1/reports/advocacy/", {"start": "2026-06-30", "end": "2026-01-01"})

    assert response.status_code == 400
    assert "end" in response.json()


def test_transparency_endpoint(api, world):
    api.force_authenticate(world.coordinator)
    data = api.get("/api/v1/transparency/", {"half": "2026-1"}).json()

    assert data["half_year"] == "2026-1"
    assert data["contacts_per_year"] == [{"year": 2026, "contacts": 6, "small_scale": False}]
    assert api.get("/api/v1/transparency/", {"half": "2026-7"}).status_code == 400


def test_timeline_endpoints_are_scoped_and_contact_reads_logged(api, world):
    api.force_authenticate(world.carol)

    contact = api.get(f"/api/v1/contacts/{world.mp.pk}/timeline/").json()
    topic = api.get(f"/api/v1/topics/{world.marketing.pk}/timeline/").json()

    assert {e["meeting"] for e in contact["entries"] if e["kind"] == "meeting"} == {
        world.m1.pk,
        world.m5.pk,
    }
    assert world.m4.pk not in {e["meeting"] for e in topic["entries"]}
    assert api.get("/api/v1/goals/99999/timeline/").status_code == 404
    assert list(AccessLog.objects.values_list("purpose", "contact_ids")) == [
        (AccessPurpose.API, [world.mp.pk])
    ]


def test_briefing_endpoint(api, world):
    api.force_authenticate(world.bob)
    data = api.get(f"/api/v1/contacts/{world.mp.pk}/briefing/").json()

    assert [m["id"] for m in data["meetings"]] == [world.m4.pk, world.m1.pk, world.m5.pk]
    assert AccessLog.objects.get().purpose == AccessPurpose.BRIEFING


def test_calendar_feed_addresses(api, world, client):
    api.force_authenticate(world.alice)
    made = api.post("/api/v1/calendar-feeds/", {"label": "puhelin"}, format="json")
    assert made.status_code == 201
    url = made.json()["url"]
    assert client.get(url).status_code == 200
    assert "url" not in api.get("/api/v1/calendar-feeds/").json()["results"][0]

    api.force_authenticate(world.bob)
    assert api.post(f"/api/v1/calendar-feeds/{made.json()['id']}/revoke/").status_code == 404
    api.force_authenticate(world.alice)
    assert api.post(f"/api/v1/calendar-feeds/{made.json()['id']}/revoke/").status_code == 204
    assert client.get(url).status_code == 404


def test_import_round_trip_through_the_api(api, world):
    api.force_authenticate(world.alice)
    upload = SimpleUploadedFile("a.csv", "Sukunimi;Sähköposti\r\nUusi;uusi@example.fi\r\n".encode())
    preview = api.post("/api/v1/imports/", {"kind": "contacts", "file": upload}, format="multipart")
    assert preview.status_code == 201
    body = preview.json()
    assert body["counts"]["create"] == 1
    assert not Contact.objects.filter(email="uusi@example.fi").exists()

    stale = api.post(f"/api/v1/imports/{body['id']}/apply/", {"digest": "0" * 64}, format="json")
    assert stale.status_code == 409
    applied = api.post(
        f"/api/v1/imports/{body['id']}/apply/", {"digest": body["digest"]}, format="json"
    )
    assert applied.status_code == 200 and applied.json()["state"] == "applied"
    assert Contact.objects.filter(email="uusi@example.fi").count() == 1


def test_import_of_a_malformed_file_is_a_field_error(api, world):
    api.force_authenticate(world.alice)
    upload = SimpleUploadedFile("a.csv", b"Nimi\r\nX\r\n")
    response = api.post(
        "/api/v1/imports/", {"kind": "contacts", "file": upload}, format="multipart"
    )

    assert response.status_code == 400
    assert "sukunimi" in response.json()["file"][0]


def test_duplicates_and_merge_through_the_api(api, world):
    twin = Contact.objects.create(
        first_name="Liisa", last_name="Virkamies", organisation=world.unit
    )
    api.force_authenticate(world.alice)
    assert api.get("/api/v1/duplicates/").status_code == 403

    api.force_authenticate(world.coordinator)
    [group] = api.get("/api/v1/duplicates/").json()["groups"]
    assert [c["id"] for c in group["contacts"]] == [world.official.pk, twin.pk]
    merged = api.post(
        "/api/v1/duplicates/",
        {"survivor": world.official.pk, "duplicates": [twin.pk]},
        format="json",
    )
    assert merged.status_code == 200
    assert not Contact.objects.filter(pk=twin.pk).exists()


def test_personal_data_endpoints(api, world):
    api.force_authenticate(world.alice)
    assert api.get(f"/api/v1/contacts/{world.mp.pk}/personal-data/").status_code == 403
    assert api.post(f"/api/v1/contacts/{world.mp.pk}/anonymise/").status_code == 403

    api.force_authenticate(world.coordinator)
    data = api.get(f"/api/v1/contacts/{world.mp.pk}/personal-data/").json()
    assert {m["id"] for m in data["meetings"]} == {world.m1.pk, world.m5.pk}
    assert api.get("/api/v1/personal-data/retention/", {"years": "0"}).status_code == 400
    assert api.get("/api/v1/personal-data/retention/", {"years": "4"}).status_code == 200
    assert api.post(f"/api/v1/contacts/{world.mp.pk}/anonymise/").json()["anonymised_at"]
    assert list(AccessLog.objects.order_by("pk").values_list("purpose", flat=True)) == [
        AccessPurpose.DATA_EXPORT,
        AccessPurpose.ANONYMISATION,
    ]


def test_reading_one_contact_through_the_api_is_logged_once(api, world):
    api.force_authenticate(world.carol)

    assert api.get(f"/api/v1/contacts/{world.mp.pk}/").status_code == 200
    assert api.get("/api/v1/contacts/").status_code == 200  # a list is not a contact view

    assert list(AccessLog.objects.values_list("user__username", "purpose", "contact_ids")) == [
        ("carol", AccessPurpose.API, [world.mp.pk])
    ]


def test_deleting_a_contact_through_the_api_anonymises_it_everywhere(api, world):
    from advocacy import services
    from advocacy.models import Meeting

    services.update_meeting(meeting=world.m1, by=world.alice, notes="Meikäläinen lupasi")
    api.force_authenticate(world.coordinator)

    assert api.delete(f"/api/v1/contacts/{world.mp.pk}/").status_code == 204
    assert Contact.objects.get(pk=world.mp.pk).is_anonymised
    assert Meeting.objects.get(pk=world.m1.pk).notes == "[***] lupasi"


def test_exports_through_the_api_have_their_own_rate(api, world, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    # Rates are read into the class when DRF loads; the test sets the export rate there.
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "export": "2/hour"},
    )
    # The throttle counts per user: Carol of this test starts from zero.
    api.force_authenticate(world.carol)
    statuses = [api.get("/api/v1/transparency/", {"half": "2026-1"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]

"""The traceability pages: scoping, downloads, and one access-log row per contact view or
export."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook

from advocacy.models import CalendarFeedToken
from crm.models import AccessLog, AccessPurpose, Contact, ImportBatch, ImportState

pytestmark = pytest.mark.usefixtures("pages")

SPRING = {"start": "2026-01-01", "end": "2026-06-30"}


def log_rows():
    return list(
        AccessLog.objects.order_by("pk").values_list("user__username", "purpose", "contact_ids")
    )


def test_pages_need_signing_in(client, world):
    for url in (
        reverse("trace:report"),
        reverse("trace:transparency"),
        reverse("trace:contact_briefing", args=[world.mp.pk]),
        reverse("trace:meeting_ics", args=[world.m1.pk]),
        reverse("trace:import_upload"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert AccessLog.objects.count() == 0


def test_report_page_shows_charts_and_only_visible_meetings(client, world):
    client.force_login(world.alice)
    response = client.get(reverse("trace:report"), SPRING)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<svg") == 2
    assert response.context["report"].meeting_count == 4
    assert "Luottamuksellinen" not in content and "Salainen" not in content
    assert AccessLog.objects.count() == 0  # a page of figures, not a contact view


def test_report_page_survives_bad_filters(client, world):
    client.force_login(world.alice)

    backwards = client.get(reverse("trace:report"), {"start": "2026-06-30", "end": "2026-01-01"})
    nonsense = client.get(reverse("trace:report"), {**SPRING, "municipality": "x", "topic": "9999"})

    assert backwards.status_code == nonsense.status_code == 200
    assert backwards.context["form"].errors["end"]
    assert set(nonsense.context["form"].errors) == {"municipality", "topic"}
    assert (
        client.get(reverse("trace:report_export", args=["csv"]), {"start": "x"}).status_code == 404
    )


def test_report_downloads_write_one_access_log_row_each(client, world):
    client.force_login(world.coordinator)

    csv_response = client.get(reverse("trace:report_export", args=["csv"]), SPRING)
    xlsx_response = client.get(reverse("trace:report_export", args=["xlsx"]), SPRING)

    assert csv_response["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response["Content-Disposition"]
    assert "Virkamies" in csv_response.content.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(xlsx_response.content))
    assert workbook.sheetnames[0] == "Summary"
    named = sorted([world.mp.pk, world.official.pk, world.unmet.pk])
    assert log_rows() == [
        ("coordinator", AccessPurpose.REPORT_EXPORT, named),
        ("coordinator", AccessPurpose.REPORT_EXPORT, named),
    ]


def test_transparency_page_and_csv(client, world):
    client.force_login(world.coordinator)

    page = client.get(reverse("trace:transparency"), {"half": "2026-1"})
    download = client.get(reverse("trace:transparency_export"), {"half": "2026-1"})

    assert page.status_code == 200
    assert "Matti Meikäläinen" in page.content.decode()
    assert "Tieyksikkö" in download.content.decode("utf-8-sig")
    assert log_rows() == [("coordinator", AccessPurpose.TRANSPARENCY_EXPORT, [world.mp.pk])]


def test_transparency_csv_of_a_bad_half_year_falls_back_to_the_last_one(client, world):
    client.force_login(world.coordinator)
    response = client.get(reverse("trace:transparency_export"), {"half": "nonsense"})
    assert response.status_code == 200


def test_contact_history_page_is_scoped_and_logged_once(client, world):
    client.force_login(world.carol)
    response = client.get(reverse("trace:contact_history", args=[world.mp.pk]))

    content = response.content.decode()
    assert world.m1.title in content and world.m5.title in content
    assert world.m4.title not in content
    assert log_rows() == [("carol", AccessPurpose.VIEW, [world.mp.pk])]


def test_topic_goal_and_organisation_history_pages(client, world):
    client.force_login(world.carol)

    topic = client.get(reverse("trace:topic_history", args=[world.marketing.pk]))
    goal = client.get(reverse("trace:goal_history", args=[world.road.pk]))
    organisation = client.get(reverse("trace:organisation_history", args=[world.unit.pk]))

    assert world.m4.title not in topic.content.decode()
    assert world.m3.title in topic.content.decode()
    assert world.m1.title in goal.content.decode()
    assert world.m2.title not in organisation.content.decode()
    assert client.get(reverse("trace:goal_history", args=[99999])).status_code == 404


def test_briefing_packs_are_scoped_and_logged_once_each(client, world):
    client.force_login(world.carol)

    contact = client.get(reverse("trace:contact_briefing", args=[world.mp.pk]))
    organisation = client.get(reverse("trace:organisation_briefing", args=[world.ministry.pk]))

    assert world.m4.title not in contact.content.decode()
    assert world.m1.title in contact.content.decode()
    assert world.m2.title not in organisation.content.decode()
    assert "data-print" in contact.content.decode()
    assert log_rows() == [
        ("carol", AccessPurpose.BRIEFING, [world.mp.pk]),
        (
            "carol",
            AccessPurpose.BRIEFING,
            sorted([world.official.pk, world.entrepreneur.pk]),
        ),
    ]


def test_meeting_ics_only_for_those_who_may_see_the_meeting(client, world):
    client.force_login(world.alice)

    mine = client.get(reverse("trace:meeting_ics", args=[world.m1.pk]))
    restricted = client.get(reverse("trace:meeting_ics", args=[world.m4.pk]))

    assert mine.status_code == 200 and mine["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(mine.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == world.m1.title
    assert restricted.status_code == 404
    assert log_rows() == [("alice", AccessPurpose.CALENDAR_EXPORT, [])]


def test_calendar_subscription_from_making_to_revoking(client, world, time_machine):
    client.force_login(world.alice)
    made = client.post(reverse("trace:calendar_settings"), {"label": "puhelin"})
    url = made.context["new_url"]
    assert url.startswith("http://testserver/calendar/feed/")
    assert url.split("/")[-1][:-4] not in made.context["feeds"][0].token_digest

    client.logout()  # calendar clients carry no session
    time_machine.move_to("2026-07-10T12:00:00+03:00", tick=False)
    feed = client.get(url)
    again = client.get(url)
    assert feed.status_code == again.status_code == 200
    uids = {str(e["UID"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert f"meeting-{world.m1.pk}@kuusikko" in uids
    assert f"meeting-{world.m4.pk}@kuusikko" not in uids
    # One access-log row for the hour's polling, not one per poll.
    assert log_rows() == [("alice", AccessPurpose.CALENDAR_EXPORT, [])]

    client.force_login(world.alice)
    token = CalendarFeedToken.objects.get(user=world.alice)
    client.post(reverse("trace:calendar_settings"), {"revoke": token.pk})
    client.logout()
    assert client.get(url).status_code == 404


def test_nobody_revokes_another_users_calendar(client, world):
    client.force_login(world.alice)
    client.post(reverse("trace:calendar_settings"), {"label": "x"})
    token = CalendarFeedToken.objects.get(user=world.alice)

    client.force_login(world.bob)
    response = client.post(reverse("trace:calendar_settings"), {"revoke": token.pk})

    assert response.status_code == 404
    assert CalendarFeedToken.objects.get(pk=token.pk).revoked_at is None


def test_import_from_upload_to_preview_to_result(client, world):
    client.force_login(world.alice)
    upload = SimpleUploadedFile(
        "lista.csv",
        "Sukunimi;Etunimi;Sähköposti\r\nUusi;Henkilö;uusi@example.fi\r\nVirhe;X;ei\r\n".encode(),
        content_type="text/csv",
    )
    response = client.post(reverse("trace:import_upload"), {"kind": "contacts", "file": upload})
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("trace:import_preview", args=[batch.pk])

    preview = client.get(response["Location"])
    assert preview.context["plan"].counts == {"create": 1, "update": 0, "skip": 0, "error": 1}
    assert not Contact.objects.filter(last_name="Uusi").exists()

    client.post(
        reverse("trace:import_apply", args=[batch.pk]), {"digest": preview.context["digest"]}
    )
    assert Contact.objects.filter(last_name="Uusi").count() == 1
    batch.refresh_from_db()
    assert batch.state == ImportState.APPLIED
    assert client.get(reverse("trace:import_preview", args=[batch.pk])).status_code == 200


def test_import_of_a_bad_file_shows_the_reason(client, world):
    client.force_login(world.alice)
    upload = SimpleUploadedFile("tyhjä.csv", b"", content_type="text/csv")
    response = client.post(reverse("trace:import_upload"), {"kind": "contacts", "file": upload})

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert ImportBatch.objects.count() == 0


def test_import_preview_is_the_uploaders_own(client, world):
    client.force_login(world.alice)
    upload = SimpleUploadedFile("a.csv", b"Sukunimi\r\nUusi\r\n")
    client.post(reverse("trace:import_upload"), {"kind": "contacts", "file": upload})
    batch = ImportBatch.objects.get()

    client.force_login(world.bob)
    assert client.get(reverse("trace:import_preview", args=[batch.pk])).status_code == 404
    assert client.post(reverse("trace:import_apply", args=[batch.pk])).status_code == 404


def test_duplicate_finder_merges_the_chosen_group(client, world):
    twin = Contact.objects.create(
        first_name="LIISA", last_name="virkamies", organisation=world.unit
    )
    client.force_login(world.alice)
    assert client.get(reverse("trace:duplicates")).status_code == 403

    client.force_login(world.coordinator)
    page = client.get(reverse("trace:duplicates"))
    [group] = page.context["groups"]
    assert group.contacts == [world.official, twin]
    client.post(
        reverse("trace:duplicates"),
        {"contact": [world.official.pk, twin.pk], "survivor": world.official.pk},
    )

    assert not Contact.objects.filter(pk=twin.pk).exists()
    assert client.get(reverse("trace:duplicates")).context["groups"] == []


def test_personal_data_page_export_and_anonymisation(client, world):
    client.force_login(world.alice)
    assert client.get(reverse("trace:personal_data", args=[world.mp.pk])).status_code == 403
    assert client.get(reverse("trace:personal_data_export", args=[world.mp.pk])).status_code == 403

    client.force_login(world.coordinator)
    page = client.get(reverse("trace:personal_data", args=[world.mp.pk]))
    export = client.get(reverse("trace:personal_data_export", args=[world.mp.pk]))
    assert page.status_code == 200
    data = json.loads(export.content)
    assert data["contact"]["id"] == world.mp.pk
    assert {m["id"] for m in data["meetings"]} == {world.m1.pk, world.m5.pk}
    assert log_rows() == [
        ("coordinator", AccessPurpose.VIEW, [world.mp.pk]),
        ("coordinator", AccessPurpose.DATA_EXPORT, [world.mp.pk]),
    ]

    client.post(reverse("trace:personal_data", args=[world.mp.pk]), {"lawful_basis": "consent"})
    assert Contact.objects.get(pk=world.mp.pk).lawful_basis == "consent"
    client.post(reverse("trace:personal_data_anonymise", args=[world.mp.pk]), {})
    assert not Contact.objects.get(pk=world.mp.pk).is_anonymised  # not confirmed
    client.post(reverse("trace:personal_data_anonymise", args=[world.mp.pk]), {"confirm": "yes"})
    assert Contact.objects.get(pk=world.mp.pk).is_anonymised


def test_retention_review_page(client, world):
    Contact.objects.filter(pk=world.unmet.pk).update(created_at="2015-01-01T00:00:00Z")
    client.force_login(world.coordinator)

    response = client.get(reverse("trace:retention"), {"years": "3"})
    bad = client.get(reverse("trace:retention"), {"years": "-1"})

    assert world.unmet in response.context["contacts"]
    assert world.mp not in response.context["contacts"]
    assert bad.status_code == 200


def test_downloads_are_rate_limited_per_user_and_logged(client, world, settings, caplog):
    settings.EXPORT_RATE_LIMIT = "2/10m"
    client.force_login(world.alice)
    url = reverse("trace:report_export", args=["csv"])

    statuses = [client.get(url, SPRING).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert AccessLog.objects.count() == 2  # the refused download read nothing
    exports = [r for r in caplog.records if r.getMessage() == "export"]
    assert [r.security["kind"] for r in exports] == ["report", "report"]
    assert exports[0].security["user_id"] == world.alice.pk


def test_the_contact_page_of_the_web_ui_writes_one_access_log_row(client, world):
    client.force_login(world.carol)
    response = client.get(f"/contacts/{world.mp.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("trace:contact_briefing", args=[world.mp.pk]) in content
    assert reverse("trace:personal_data", args=[world.mp.pk]) not in content  # staff, not DPO
    assert log_rows() == [("carol", AccessPurpose.VIEW, [world.mp.pk])]

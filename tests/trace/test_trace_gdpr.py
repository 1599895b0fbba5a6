"""Personal data: the export of one person, the access log, retention review, and an
anonymisation that leaves no trace of the person in a full dump of the database."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess

import pghistory
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import connection

from advocacy import services
from advocacy.gdpr import anonymise_contact_everywhere, contact_export
from advocacy.models import (
    Channel,
    FollowUp,
    Meeting,
    Notification,
    OutboxEmail,
    Reminder,
    ReminderKind,
)
from crm.gdpr import record_access, retention_review
from crm.importer import preview_import
from crm.models import (
    AccessLog,
    AccessPurpose,
    Contact,
    ContactPosition,
    ImportKind,
    Organisation,
    Role,
)
from tests.factories import municipality

from .conftest import at, make_user

NAME = "Tuulikki Kärkkäinen"
EMAIL = "tuulikki.karkkainen@example.fi"
OLD_EMAIL = "tk1970@example.com"
PHONE = "+358407654321"
MOBILE = "+358501112233"


def test_export_holds_the_persons_data_and_only_visible_meetings(world):
    ContactPosition.objects.create(contact=world.mp, title="kunnanvaltuutettu")
    data = contact_export(contact=world.mp, by=world.carol)

    encoded = json.dumps(data)  # JSON-ready through and through
    assert data["contact"]["last_name"] == "Meikäläinen"
    assert data["contact"]["lawful_basis"] == "public_task"
    assert [p["title"] for p in data["positions"]] == ["kunnanvaltuutettu"]
    assert {m["id"] for m in data["meetings"]} == {world.m1.pk, world.m5.pk}
    assert "Luottamuksellinen" not in encoded  # the restricted m4
    assert [f["id"] for f in data["follow_ups"]] == [world.f1.pk]
    assert data["history"][0]["pgh_label"] == "insert"
    # The stored last meeting date counts the restricted m4 (5 March): not Carol's to see.
    assert "last_interaction_at" not in data["contact"]


def test_export_writes_exactly_one_access_log_row(world):
    contact_export(contact=world.mp, by=world.carol)

    [entry] = AccessLog.objects.all()
    assert (entry.user, entry.purpose, entry.contact_ids) == (
        world.carol,
        AccessPurpose.DATA_EXPORT,
        [world.mp.pk],
    )
    # The log is in the next export of the same person.
    assert len(contact_export(contact=world.mp, by=world.carol)["access_log"]) == 1


def test_access_log_holds_ids_and_purpose_never_field_values(world):
    record_access(
        user=world.alice,
        purpose=AccessPurpose.VIEW,
        contacts=[world.mp, world.official.pk, world.mp],
        target="contact page",
    )
    entry = AccessLog.objects.get()

    assert entry.contact_ids == sorted([world.mp.pk, world.official.pk])
    assert list(AccessLog.objects.about(world.official.pk)) == [entry]
    values = " ".join(str(v) for v in AccessLog.objects.values().get())
    assert "Meikäläinen" not in values and "Virkamies" not in values
    with pytest.raises(ValueError):
        record_access(user=world.alice, purpose="curiosity", contact=world.mp)


def test_retention_review_lists_people_nobody_has_met_in_years(world):
    now = at(2030, 3, 1)
    Contact.objects.filter(pk=world.entrepreneur.pk).update(last_interaction_at=at(2025, 1, 1))
    Contact.objects.filter(pk=world.unmet.pk).update(created_at=at(2024, 1, 1))
    fresh = Contact.objects.create(last_name="Uusi")
    Contact.objects.filter(pk=fresh.pk).update(created_at=at(2029, 1, 1))

    review = list(retention_review(years=4, now=now))

    # The cut-off is 1 March 2026. Kalle last met 1 Jan 2025, Liisa 20 Feb 2026; Pekka never
    # met and recorded in 2024. The MP was met on 5 March 2026; "Uusi" is recent.
    assert review == [world.unmet, world.official, world.entrepreneur]  # by name
    assert list(retention_review(years=7, now=now)) == []


def test_only_coordinators_and_admins_anonymise(world):
    with pytest.raises(PermissionDenied):
        anonymise_contact_everywhere(contact=world.mp, by=world.alice)


def test_anonymised_contact_keeps_its_meetings(world):
    anonymise_contact_everywhere(contact=world.mp, by=world.coordinator)

    mp = Contact.objects.get(pk=world.mp.pk)
    assert mp.is_anonymised and mp.first_name == "" and mp.email == ""
    assert set(Meeting.objects.with_contact(mp)) == {world.m1, world.m4, world.m5}
    assert AccessLog.objects.get().purpose == AccessPurpose.ANONYMISATION


# --- No trace in a full dump ------------------------------------------------------------------


def dump_database() -> str:
    """The whole test database as text: pg_dump when it can, else every row of every table."""
    settings = connection.settings_dict
    pg_dump = shutil.which("pg_dump")
    if pg_dump:
        command = [pg_dump, "--no-owner", "--dbname", settings["NAME"]]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings.get(key):
                command += [flag, str(settings[key])]
        env = {"PGPASSWORD": settings.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
        result = subprocess.run(command, capture_output=True, env=env, check=False)  # noqa: S603
        if result.returncode == 0:
            return result.stdout.decode()
        # A pg_dump older than the server refuses; the query below reads the same rows.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) "
            "FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        tables = [row[0] for row in cursor.fetchall()]
        chunks = []
        for table in tables:
            cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608 - names from the catalog
            chunks += [row[0] for row in cursor.fetchall()]
    return "\n".join(chunks)


def traces(text: str) -> list[str]:
    needles = [
        NAME,
        "Kärkkäi",  # the last name and all its inflections
        "KÄRKKÄI",
        EMAIL,
        OLD_EMAIL,
        PHONE,
        "040 765 4321",
        "0407654321",
        "7654321",
        MOBILE,
        "50 111 2233",
    ]
    lowered = text.lower()
    return [n for n in needles if n.lower() in lowered]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_anonymisation_leaves_no_trace_in_a_full_database_dump():
    # A transactional test before this one may have flushed the seeded rows.
    keitele = municipality("Keitele")
    coordinator = make_user("koordinaattori", Role.COORDINATOR, keitele)
    staff = make_user("virkailija", Role.STAFF, keitele)
    organisation = Organisation.objects.create(
        name="Savon Kehitys Oy", notes=f"Yhteyshenkilö tavoitettavissa {EMAIL}"
    )
    with pghistory.context(user=staff.pk):
        person = Contact.objects.create(
            first_name="Tuulikki",
            last_name="Kärkkäinen",
            title="toimitusjohtaja",
            organisation=organisation,
            email=OLD_EMAIL,
            phone=PHONE,
            mobile_phone=MOBILE,
            notes="Tuulikki Kärkkäinen on hallituksen puheenjohtaja.",
            is_decision_maker=True,
        )
        person.email = EMAIL
        person.secondary_email = OLD_EMAIL
        person.save()
    ContactPosition.objects.create(contact=person, title="Kärkkäisen yrityksen hallitus")
    other = Contact.objects.create(
        last_name="Muu", notes=f"Sihteeri: soita 040 765 4321 tai kirjoita {EMAIL}"
    )
    meeting = services.log_meeting(
        author=staff,
        title=f"Tapaaminen: {NAME}",
        occurred_at=at(2026, 3, 3),
        contacts=[person, other],
        notes="Kärkkäinen lupasi selvittää rahoituksen, puh. 040 765 4321.",
    )
    services.update_meeting(
        meeting=meeting, by=staff, outcomes=f"KÄRKKÄISEN kanssa sovittu jatko ({EMAIL})"
    )
    follow_up = services.add_follow_up(
        by=staff,
        description="Lähetä Kärkkäiselle muistio",
        assignee=staff,
        due_date=datetime.date(2026, 3, 10),
        meeting=meeting,
    )
    services.complete_follow_up(follow_up=follow_up, by=staff, note=f"Lähetetty {EMAIL}")
    reminder = Reminder.objects.create(
        kind=ReminderKind.STALE_CONTACT,
        recipient=coordinator,
        channel=Channel.EMAIL,
        due_at=at(2026, 9, 1),
        contact=person,
    )
    Notification.objects.create(
        recipient=coordinator, reminder=reminder, subject=f"Kukaan ei ole tavannut: {NAME}"
    )
    OutboxEmail.objects.create(
        reminder=reminder,
        to_address="koordinaattori@example.fi",
        subject=f"Muistutus: {NAME}",
        body_text=f"{NAME} ({EMAIL}, {PHONE})",
    )
    LogEntry.objects.log_actions(
        user_id=coordinator.pk, queryset=[person], action_flag=CHANGE, change_message="[]"
    )
    preview_import(
        by=staff,
        data="Etunimi;Sukunimi\r\nTuulikki;Kärkkäinen\r\n".encode(),
        file_name="lista.csv",
        kind=ImportKind.CONTACTS,
    )
    contact_export(contact=person, by=coordinator)
    assert set(traces(dump_database())) >= {NAME, EMAIL, OLD_EMAIL, PHONE, "040 765 4321"}

    anonymise_contact_everywhere(contact=person, by=coordinator)

    dump = dump_database()
    assert traces(dump) == []
    # The record of the meeting survives, without the person.
    meeting.refresh_from_db()
    assert meeting.title == "Tapaaminen: [***]"
    assert list(meeting.contacts.order_by("pk")) == [person, other]
    assert FollowUp.objects.get(pk=follow_up.pk).description == "Lähetä [***] muistio"
    assert (
        Organisation.objects.get(pk=organisation.pk).notes == "Yhteyshenkilö tavoitettavissa [***]"
    )
    # A namesake elsewhere keeps their name: only the person's own records lose it.
    assert "Sihteeri" in Contact.objects.get(pk=other.pk).notes


def test_admin_contact_page_is_logged_and_its_anonymise_action_scrubs_meetings(client, world):
    from django.urls import reverse

    # Model permissions come with the demo's groups; a superuser has them all.
    world.coordinator.is_staff = world.coordinator.is_superuser = True
    world.coordinator.save()
    services.update_meeting(meeting=world.m1, by=world.alice, notes="Matti Meikäläinen lupasi")
    client.force_login(world.coordinator)

    page = client.get(reverse("admin:crm_contact_change", args=[world.mp.pk]))
    assert page.status_code == 200
    assert list(AccessLog.objects.values_list("purpose", "contact_ids")) == [
        (AccessPurpose.VIEW, [world.mp.pk])
    ]

    client.post(
        reverse("admin:crm_contact_changelist"),
        {"action": "anonymise", "_selected_action": [world.mp.pk]},
    )
    assert Contact.objects.get(pk=world.mp.pk).is_anonymised
    assert Meeting.objects.get(pk=world.m1.pk).notes == "[***] lupasi"


def test_access_log_admin_is_read_only_for_the_coordinator(client, world):
    from django.urls import reverse

    world.coordinator.is_staff = True
    world.coordinator.save()
    record_access(user=world.alice, purpose=AccessPurpose.VIEW, contact=world.mp)
    client.force_login(world.coordinator)

    listing = client.get(reverse("admin:crm_accesslog_changelist"), {"q": str(world.mp.pk)})
    assert listing.status_code == 200
    assert len(listing.context["cl"].result_list) == 1
    assert client.get(reverse("admin:crm_accesslog_add")).status_code == 403

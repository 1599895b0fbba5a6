"""`seed_demo --tier`, `--bulk`, `--reminders` and `--due-reminders` (issue 8). The tiers
themselves are seeded by `make bench`, not here: the suite stays fast; a tier-like bulk load of a
few hundred rows goes through the same code."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from advocacy.demo import DemoSeeder
from advocacy.management.commands.seed_demo import TIERS
from advocacy.models import (
    Channel,
    Meeting,
    MeetingContact,
    MeetingSearchWord,
    Reminder,
    ReminderState,
)
from crm.models import Contact
from tests.test_seed_demo import fingerprint

BULK = {"contacts": 80, "meetings": 300, "reminders": 120, "due_reminders": 10, "bulk": True}

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_tiers_have_the_sizes_of_the_issue():
    assert TIERS["S"]["contacts"] == 5_000 and TIERS["S"]["meetings"] == 10_000
    assert TIERS["M"]["contacts"] == 100_000 and TIERS["M"]["meetings"] == 500_000
    assert TIERS["L"] == {
        "contacts": 1_000_000,
        "organisations": 100_000,
        "meetings": 5_000_000,
        "reminders": 1_000_000,
        "due_reminders": 50_000,
    }


def test_due_reminders_are_pending_and_due_now():
    before = Reminder.objects.filter(key__startswith="due-now-").count()
    call_command("seed_demo", contacts=60, meetings=200, due_reminders=25, stdout=StringIO())

    due_now = Reminder.objects.filter(key__startswith="due-now-")
    assert before == 0
    assert due_now.count() == 25
    assert set(due_now.values_list("state", "channel").distinct()) == {
        (ReminderState.PENDING, Channel.EMAIL)
    }
    assert not due_now.filter(due_at__gt=timezone.now()).exists()


def catalog() -> dict[str, list[tuple]]:
    """The schema's indexes, constraints and triggers (with their enabled state)."""
    queries = {
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
        " convalidated, condeferrable, condeferred FROM pg_constraint"
        " WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2",
        "triggers": "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger"
        " WHERE NOT tgisinternal ORDER BY 1, 2",
    }
    with connection.cursor() as cursor:
        result = {}
        for name, query in queries.items():
            cursor.execute(query)
            result[name] = cursor.fetchall()
    return result


def bulk_seed_and_roll_back(**options) -> tuple[str, dict[str, int]]:
    with transaction.atomic():
        call_command("seed_demo", stdout=StringIO(), today="2026-03-10", **{**BULK, **options})
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_a_bulk_load_is_deterministic():
    first = bulk_seed_and_roll_back(seed=5)
    second = bulk_seed_and_roll_back(seed=5)
    other = bulk_seed_and_roll_back(seed=6)

    assert first == second
    assert first[1]["Contact"] == BULK["contacts"] and first[1]["Meeting"] == BULK["meetings"]
    assert other[0] != first[0]


def test_a_bulk_load_puts_back_every_index_constraint_and_trigger_it_took_off():
    with connection.cursor() as cursor:
        # As a later migration might: an index the seeder has never heard of.
        cursor.execute("CREATE INDEX test_meeting_place ON advocacy_meeting (place)")
    before = catalog()
    assert any(name == "test_meeting_place" for _t, name, _d in before["indexes"])

    output = StringIO()
    call_command("seed_demo", stdout=output, verbosity=2, **BULK)

    assert "indexes and" in output.getvalue()  # the window was opened, and closed:
    assert catalog() == before
    # Rows loaded in bulk keep their links and have no history events.
    assert MeetingContact.objects.count() >= Meeting.objects.count() == BULK["meetings"]
    assert Contact.objects.count() == BULK["contacts"]
    assert not Meeting.pgh_event_model.objects.exists()
    # The participant rows, loaded with their copy trigger off, carry their meetings' copies.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM advocacy_meetingcontact mc JOIN advocacy_meeting m"
            " ON m.id = mc.meeting_id WHERE (mc.meeting_occurred_at, mc.meeting_visibility,"
            " mc.meeting_municipality_id, mc.meeting_author_id) IS DISTINCT FROM"
            " (m.occurred_at, m.visibility, m.municipality_id, m.author_id)"
        )
        assert cursor.fetchone()[0] == 0
    # The meetings' vocabulary, its trigger off during the load, is rebuilt from them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT kuusikko_meeting_words(title || ' ' || place || ' ' || notes"
            " || ' ' || outcomes) FROM advocacy_meeting"
        )
        expected = {row[0] for row in cursor.fetchall()}
    assert expected and set(MeetingSearchWord.objects.values_list("word", flat=True)) == expected


def test_the_reminders_total_is_near_the_one_asked_for():
    call_command("seed_demo", stdout=StringIO(), **{**BULK, "meetings": 3000, "reminders": 800})

    assert 600 <= Reminder.objects.count() <= 1000
    assert Reminder.objects.filter(key__startswith="due-now-").count() == BULK["due_reminders"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_big_seed_ends_with_every_table_vacuumed_and_analysed():
    # What a tier's seed ends with (DemoSeeder.analyze, outside a transaction): VACUUM
    # (ANALYZE) of the whole database, the small tables and the meetings' vocabulary too (a
    # vacuum also empties the GIN indexes' pending lists).
    small = ["crm_user", "advocacy_topic", "advocacy_goal", "advocacy_meetingsearchword"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        started = cursor.fetchone()[0]

    DemoSeeder.analyze(None)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s)"
            " AND last_vacuum >= %s AND last_analyze >= %s",
            [small, started, started],
        )
        assert sorted(row[0] for row in cursor.fetchall()) == sorted(small)

"""The transparency register roll-up, against the fixed data set (see conftest.py).

Spring 2026 as the coordinator sees it: m1 (face to face, transport) with MP Matti
Meikäläinen; m2 (phone, transport) and m3 (e-mail, marketing) with Liisa Virkamies of the
ministry's road unit, m3 also with Kalle Yrittäjä of Savon Saha Oy; m6 (online, transport)
with the ministry itself and no people. m4 (restricted) is not the coordinator's to see.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from advocacy import services
from advocacy.messages import compose
from advocacy.models import Channel, MeetingKind, Reminder, ReminderKind
from advocacy.reminders import plan_periodic_reminders, plan_transparency_reminders
from advocacy.transparency import (
    HalfYear,
    Target,
    build_transparency_report,
    count_contacts,
    transparency_csv,
)

from .conftest import at

SPRING = HalfYear(2026, 1)
UNIT = Target(
    organisation="Liikenne- ja viestintäministeriö",
    department="Liikenneverkko-osasto",
    unit="Tieyksikkö",
)
MINISTRY = Target(organisation="Liikenne- ja viestintäministeriö")
COMPANY = Target(organisation="Savon Saha Oy")
MP = Target(person="Matti Meikäläinen", role="kansanedustaja", organisation="Eduskunta")


def entries(report):
    return {
        (e.topic.name if e.topic else None): [(r.target, r.method, r.contacts) for r in e.targets]
        for e in report.entries
    }


def test_half_years_and_their_disclosure_windows():
    assert HalfYear.of(datetime.date(2026, 6, 30)) == HalfYear(2026, 1)
    assert HalfYear.of(datetime.date(2026, 7, 1)) == HalfYear(2026, 2)
    assert HalfYear(2026, 1).disclosure_window == (
        datetime.date(2026, 7, 1),
        datetime.date(2026, 8, 31),
    )
    assert HalfYear(2027, 2).disclosure_window == (
        datetime.date(2028, 1, 1),
        datetime.date(2028, 2, 29),
    )
    assert HalfYear.parse("2026-2") == HalfYear.parse("2026H2") == HalfYear(2026, 2)
    with pytest.raises(ValueError):
        HalfYear.parse("2026-3")


def test_one_entry_per_topic_with_each_target_once_and_one_method(world):
    report = build_transparency_report(user=world.coordinator, half_year=SPRING)

    assert entries(report) == {
        # Named: the MP. Else by organisation / department / unit; the ministry met without
        # people is a target of its own.
        "Liikenneyhteydet": [
            (MP, "meeting", 1),
            (MINISTRY, "remote_meeting", 1),
            (UNIT, "phone", 1),
        ],
        "Alueen markkinointi": [(UNIT, "email", 1), (COMPANY, "email", 1)],
    }
    transport, marketing = (
        next(e for e in report.entries if e.topic == t) for t in (world.transport, world.marketing)
    )
    assert transport.subject.startswith("Valtatie 77") and transport.problems == []
    assert marketing.government_project == "VN/123/2026" and marketing.subject == ""


def test_a_target_met_in_several_ways_gets_the_strongest_method(world):
    services.log_meeting(
        author=world.alice,
        title="Tapaaminen yksikössä",
        occurred_at=at(2026, 5, 5),
        kind=MeetingKind.IN_PERSON,
        contacts=[world.official],
        topics=[world.transport],
    )
    report = build_transparency_report(user=world.coordinator, half_year=SPRING)

    assert (UNIT, "meeting", 2) in entries(report)["Liikenneyhteydet"]


def test_register_roll_up_leaves_out_meetings_the_reader_may_not_see(world):
    coordinator = build_transparency_report(user=world.coordinator, half_year=SPRING)
    bob = build_transparency_report(user=world.bob, half_year=SPRING)

    # m4 (restricted, Bob's own) took Matti to the marketing topic.
    assert (MP, "meeting", 1) in entries(bob)["Alueen markkinointi"]
    assert MP not in [t for t, _m, _n in entries(coordinator)["Alueen markkinointi"]]
    rows = csv.DictReader(
        io.StringIO(transparency_csv(coordinator).decode("utf-8-sig")), delimiter=";"
    )
    assert [r["name"] for r in rows if r["topic"] == "Alueen markkinointi"] == ["", ""]


def test_short_subject_is_flagged_and_topicless_meetings_get_their_own_entry(world):
    world.transport.register_subject = "Tiet"
    world.transport.save()
    services.log_meeting(
        author=world.alice, title="Aiheeton", occurred_at=at(2026, 4, 4), contacts=[world.mp]
    )
    report = build_transparency_report(user=world.coordinator, half_year=SPRING)

    transport = next(e for e in report.entries if e.topic == world.transport)
    assert transport.problems == ["The register wants 50–600 characters; this is 4."]
    topicless = report.entries[-1]
    assert topicless.topic is None and topicless.problems
    assert [(r.target, r.method) for r in topicless.targets] == [(MP, "meeting")]


def test_contacts_per_calendar_year_against_the_small_scale_threshold(world):
    report = build_transparency_report(user=world.coordinator, half_year=SPRING)

    # 2026: m1 1 + m2 1 + m3 2 + m6 1 + m7 (July, Kalle) 1 = 6 > 5.
    assert [(c.year, c.contacts, c.small_scale) for c in report.year_counts] == [(2026, 6, False)]
    # Carol does not see m2: five, which is small-scale.
    assert count_contacts(world.carol, 2026) == 5


def test_transparency_csv_lists_every_target_row(world):
    report = build_transparency_report(user=world.coordinator, half_year=SPRING)
    rows = list(
        csv.DictReader(io.StringIO(transparency_csv(report).decode("utf-8-sig")), delimiter=";")
    )

    assert len(rows) == 5
    mp = next(r for r in rows if r["name"])
    assert mp["target type"] == "person"
    assert mp["contact method"] == "meeting"
    assert mp["half-year"] == "2026-1"
    unit = next(r for r in rows if r["unit"] == "Tieyksikkö" and r["topic"] == "Liikenneyhteydet")
    assert (unit["organisation"], unit["department"], unit["contact method"]) == (
        "Liikenne- ja viestintäministeriö",
        "Liikenneverkko-osasto",
        "phone call",
    )


def test_disclosure_reminders_are_planned_once_for_each_coordinator(world):
    now = at(2026, 3, 1, 12)
    # Two occasions, by e-mail and in the app (the default preferences).
    assert plan_transparency_reminders(now=now) == 4
    assert plan_transparency_reminders(now=now) == 0

    reminders = Reminder.objects.filter(kind=ReminderKind.TRANSPARENCY_DISCLOSURE)
    assert {(r.recipient, r.key, r.due_at, r.channel) for r in reminders} == {
        (world.coordinator, key, due_at, channel)
        for key, due_at in (
            ("2026-1:opens", at(2026, 6, 24, 9)),
            ("2026-1:closes", at(2026, 8, 17, 9)),
        )
        for channel in (Channel.EMAIL, Channel.IN_APP)
    }


def test_disclosure_reminder_of_an_open_window_is_still_planned(world):
    # On 10 January the autumn's window (January–February) is open: its closing reminder is
    # ahead, its opening one is past.
    plan_transparency_reminders(now=at(2027, 1, 10))

    keys = set(
        Reminder.objects.filter(kind=ReminderKind.TRANSPARENCY_DISCLOSURE).values_list(
            "key", flat=True
        )
    )
    assert keys == {"2026-2:closes", "2027-1:opens", "2027-1:closes"}


def test_periodic_planning_includes_the_disclosure_reminders(world):
    plan_periodic_reminders(now=at(2026, 3, 1, 12))

    assert Reminder.objects.filter(kind=ReminderKind.TRANSPARENCY_DISCLOSURE).count() == 4


def test_disclosure_reminder_says_which_half_year_and_until_when(world):
    plan_transparency_reminders(now=at(2026, 3, 1, 12))
    reminder = Reminder.objects.filter(
        kind=ReminderKind.TRANSPARENCY_DISCLOSURE, key="2026-1:closes", channel=Channel.EMAIL
    ).get()

    message = compose(reminder, now=at(2026, 8, 17, 9))
    assert message.path == "/transparency/?half=2026-1"
    assert message.subject == "Transparency register: disclose by Aug. 31, 2026"
    text, html = message.render_email(world.coordinator)
    assert "transparency register" in text and "/transparency/?half=2026-1" in text
    assert compose(reminder, now=at(2026, 9, 1, 9)) is None  # the window has closed


def test_plan_transparency_reminders_command(world, time_machine):
    from django.core.management import call_command

    time_machine.move_to(at(2026, 3, 1, 12), tick=False)
    out = io.StringIO()
    call_command("plan_transparency_reminders", stdout=out)

    assert out.getvalue().strip() == "4 reminder(s) planned or changed."

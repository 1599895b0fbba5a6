"""Calendar feeds and .ics files: valid iCalendar, parsed back, with exactly the right events."""

from __future__ import annotations

import datetime

import time_machine
from icalendar import Calendar

from advocacy.calendar import (
    create_feed_token,
    meetings_ics,
    revoke_feed_token,
    user_feed,
    user_for_token,
)
from advocacy.models import CalendarFeedToken, Meeting

from .conftest import HELSINKI, at

NOW = at(2026, 7, 10, 12)


def parse(data: bytes) -> Calendar:
    calendar = Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return calendar


def uids(calendar: Calendar) -> set[str]:
    return {str(e["UID"]) for e in calendar.walk("VEVENT")}


@time_machine.travel(NOW, tick=False)
def test_feed_holds_the_users_own_meetings_and_open_follow_up_due_dates(world):
    calendar = parse(user_feed(user=world.alice, base_url="https://kuusikko.example"))

    # Alice logged m1, m2 and m5; her open follow-up is f2 (f1 is done).
    expected = {f"meeting-{m.pk}@kuusikko" for m in (world.m1, world.m2, world.m5)}
    assert uids(calendar) == expected | {f"follow-up-{world.f2.pk}@kuusikko"}


@time_machine.travel(NOW, tick=False)
def test_feed_events_carry_helsinki_time_zone_and_a_link(world):
    calendar = parse(user_feed(user=world.alice, base_url="https://kuusikko.example"))

    event = next(
        e for e in calendar.walk("VEVENT") if e["UID"] == f"meeting-{world.m1.pk}@kuusikko"
    )
    start = event.decoded("DTSTART")
    assert start == at(2026, 1, 15, 10)
    assert str(start.tzinfo) == "Europe/Helsinki"
    assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
    assert event.decoded("DTEND") - start == datetime.timedelta(hours=1)
    assert str(event["SUMMARY"]) == "Tapaaminen kansanedustajan kanssa"
    assert str(event["URL"]) == f"https://kuusikko.example/meetings/{world.m1.pk}/"
    # The time zone is described in the file itself.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]

    due = next(
        e for e in calendar.walk("VEVENT") if e["UID"] == f"follow-up-{world.f2.pk}@kuusikko"
    )
    assert due.decoded("DTSTART") == datetime.date(2026, 3, 1)
    assert due.decoded("DTEND") == datetime.date(2026, 3, 2)


@time_machine.travel(NOW, tick=False)
def test_feed_leaves_out_notes_and_the_people_met(world):
    Meeting.objects.filter(pk=world.m1.pk).update(notes="Salaiset muistiinpanot")
    data = user_feed(user=world.alice).decode()

    assert "Salaiset" not in data
    assert "Meikäläinen" not in data


@time_machine.travel(NOW, tick=False)
def test_restricted_meeting_is_only_in_its_participants_feed(world):
    world.m4.our_participants.add(world.carol)

    assert f"meeting-{world.m4.pk}@kuusikko" in uids(parse(user_feed(user=world.bob)))
    assert f"meeting-{world.m4.pk}@kuusikko" in uids(parse(user_feed(user=world.carol)))
    world.m4.our_participants.remove(world.carol)
    assert f"meeting-{world.m4.pk}@kuusikko" not in uids(parse(user_feed(user=world.carol)))
    assert f"meeting-{world.m4.pk}@kuusikko" not in uids(parse(user_feed(user=world.alice)))


def test_feed_token_resolves_to_its_user_until_revoked(world):
    feed, secret = create_feed_token(user=world.alice, label="puhelin")

    assert user_for_token(secret) == world.alice
    assert feed.token_digest != secret and secret not in feed.token_digest
    assert user_for_token(secret + "x") is None
    assert user_for_token("") is None
    revoke_feed_token(feed=feed, by=world.bob)  # not Bob's to revoke
    assert user_for_token(secret) == world.alice
    revoke_feed_token(feed=feed, by=world.alice)
    assert user_for_token(secret) is None
    assert CalendarFeedToken.objects.get(pk=feed.pk).revoked_at is not None


def test_feed_token_of_a_deactivated_user_is_dead(world):
    _feed, secret = create_feed_token(user=world.alice)
    world.alice.is_active = False
    world.alice.save()

    assert user_for_token(secret) is None


def test_single_meeting_ics_has_exactly_that_meeting(world):
    calendar = parse(meetings_ics([world.m6]))

    [event] = calendar.walk("VEVENT")
    assert event["UID"] == f"meeting-{world.m6.pk}@kuusikko"
    # 30 June 23:30 in Helsinki is 20:30 UTC: the same instant, whatever the zone.
    assert event.decoded("DTSTART").astimezone(datetime.UTC) == datetime.datetime(
        2026, 6, 30, 20, 30, tzinfo=datetime.UTC
    )
    assert event.decoded("DTSTART").astimezone(HELSINKI).date() == datetime.date(2026, 6, 30)

"""Timelines and briefing packs: one record of meetings, follow-ups and changes, scoped."""

from __future__ import annotations

import pghistory

from advocacy.briefing import contact_briefing, organisation_briefing
from advocacy.timeline import (
    CHANGE,
    FOLLOW_UP,
    FOLLOW_UP_CLOSED,
    MEETING,
    contact_timeline,
    goal_timeline,
    organisation_timeline,
    topic_timeline,
)
from crm.models import ContactPosition


def meetings_of(entries):
    return {e.meeting for e in entries if e.kind == MEETING}


def test_contact_timeline_lists_meetings_follow_ups_and_changes_newest_first(world):
    with pghistory.context(user=world.alice.pk):
        world.official.title = "osastopäällikkö"
        world.official.save()
    entries = contact_timeline(contact=world.official, user=world.coordinator)

    assert meetings_of(entries) == {world.m2, world.m3}
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    change = next(e for e in entries if e.kind == CHANGE and e.changes)
    assert change.actor == "Alice Tester"
    assert [(c.label, c.old, c.new) for c in change.changes] == [
        ("title", "yksikön päällikkö", "osastopäällikkö")
    ]
    follow_ups = {(e.kind, e.follow_up) for e in entries if e.follow_up}
    assert follow_ups == {(FOLLOW_UP, world.f2), (FOLLOW_UP, world.f6)}


def test_timelines_leave_out_meetings_and_follow_ups_the_reader_may_not_see(world):
    carol = contact_timeline(contact=world.mp, user=world.carol)
    bob = contact_timeline(contact=world.mp, user=world.bob)

    assert meetings_of(carol) == {world.m1, world.m5}
    assert meetings_of(bob) == {world.m1, world.m4, world.m5}
    assert world.m4 not in meetings_of(topic_timeline(topic=world.marketing, user=world.carol))
    assert world.f3 not in {
        e.follow_up for e in topic_timeline(topic=world.marketing, user=world.carol)
    }
    assert world.f3 in {e.follow_up for e in topic_timeline(topic=world.marketing, user=world.bob)}
    assert world.m2 not in meetings_of(
        organisation_timeline(organisation=world.unit, user=world.carol)
    )


def test_goal_timeline_shows_status_changes_progress_notes_and_closed_follow_ups(world):
    entries = goal_timeline(goal=world.road, user=world.carol)

    assert meetings_of(entries) == {world.m1}
    statuses = [
        (c.old, c.new)
        for e in entries
        if e.kind == CHANGE
        for c in e.changes
        if c.label == "status"
    ]
    assert statuses == [("active", "achieved"), ("proposed", "active")]
    assert any(e.detail == "Rahoitus esillä" for e in entries)
    assert (FOLLOW_UP_CLOSED, world.f4) in {(e.kind, e.follow_up) for e in entries}
    assert next(e for e in entries if e.kind == CHANGE and e.changes).actor == "Coordinator Tester"


def test_organisation_timeline_shows_its_meetings_and_its_own_changes(world):
    world.ministry.website = "https://lvm.fi"
    world.ministry.save()
    entries = organisation_timeline(organisation=world.ministry, user=world.coordinator)

    assert meetings_of(entries) == {world.m6}
    [change] = [e for e in entries if e.kind == CHANGE and e.changes]
    assert [(c.label, c.new) for c in change.changes] == [("website", "https://lvm.fi")]


def test_contact_briefing_gathers_meetings_follow_ups_goals_and_positions(world):
    ContactPosition.objects.create(contact=world.mp, title="kunnanvaltuutettu")
    pack = contact_briefing(contact=world.mp, user=world.carol)

    assert pack.meetings == [world.m1, world.m5]  # not the restricted m4
    assert pack.open_follow_ups == []  # f1 is done
    assert pack.goals == [world.road]
    assert [p.title for p in pack.positions] == ["kunnanvaltuutettu"]
    assert pack.contact_ids == [world.mp.pk]

    bob = contact_briefing(contact=world.mp, user=world.bob)
    assert bob.meetings == [world.m4, world.m1, world.m5]
    assert world.f3 in bob.open_follow_ups


def test_organisation_briefing_covers_its_units_and_their_people(world):
    pack = organisation_briefing(organisation=world.ministry, user=world.coordinator)

    assert pack.meetings == [world.m6, world.m3, world.m2]
    assert pack.people == [world.official]
    assert set(pack.open_follow_ups) == {world.f2, world.f6}
    carol = organisation_briefing(organisation=world.ministry, user=world.carol)
    assert carol.meetings == [world.m6, world.m3]
    assert carol.open_follow_ups == [world.f6]

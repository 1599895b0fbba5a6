"""Filters, search, ordering and pagination of the lists. Invalid values are a 400 with a
message, never a 500 and never a silently unfiltered list."""

from __future__ import annotations

import datetime

import pytest

from advocacy.models import FollowUpStatus, GoalStatus, MeetingKind, Visibility
from tests.api.helpers import ids, results
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    GoalEndorsementFactory,
    GoalFactory,
    MeetingFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    TagFactory,
    TopicFactory,
    municipality,
)

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12) -> datetime.datetime:
    """A moment in March 2026, Finnish time."""
    from tests.conftest import HELSINKI

    return datetime.datetime(2026, 3, day, hour, tzinfo=HELSINKI)


# --- Meetings -------------------------------------------------------------------------------


def test_meetings_filter_by_every_documented_filter(client_for, trustee, staff, coordinator):
    topic, other_topic = TopicFactory.create_batch(2)
    goal = GoalFactory(topic=topic)
    ministry = OrganisationFactory()
    person = ContactFactory(organisation=ministry)
    network = NetworkMembershipFactory(contact=person).network
    match = MeetingFactory(
        author=trustee,
        kind=MeetingKind.PHONE,
        visibility=Visibility.MUNICIPALITY,
        occurred_at=at(10),
        contacts=[person],
        our_participants=[trustee, staff],
    )
    match.topics.add(topic)
    match.goals.add(goal)
    match.organisations.add(ministry)
    other = MeetingFactory(author=coordinator, occurred_at=at(2), kind=MeetingKind.EMAIL)
    other.topics.add(other_topic)
    client = client_for(staff)

    for query in [
        {"topic": topic.pk},
        {"goal": goal.pk},
        {"organisation": ministry.pk},
        {"contact": person.pk},
        {"network": network.pk},
        {"participant": "me"},
        {"participant": trustee.pk},
        {"author": trustee.pk},
        {"municipality": trustee.municipality_id},
        {"kind": "phone"},
        {"kind": ["phone", "online"]},
        {"visibility": "municipality"},
        {"date_after": "2026-03-10", "date_before": "2026-03-10"},
        {"date_after": "2026-03-05"},
    ]:
        assert ids(client.get("/api/v1/meetings/", query)) == [match.pk], query
    assert ids(client.get("/api/v1/meetings/", {"kind": ["phone", "email"]})) == [
        match.pk,
        other.pk,
    ]
    assert ids(client.get("/api/v1/meetings/", {"date_before": "2026-03-09"})) == [other.pk]


def test_meeting_dates_are_finnish_days(client_for, trustee):
    # 00:30 on the 10th in Helsinki is still the 9th in UTC.
    meeting = MeetingFactory(author=trustee, occurred_at=at(10, hour=0).replace(minute=30))

    assert ids(client_for(trustee).get("/api/v1/meetings/", {"date_after": "2026-03-10"})) == [
        meeting.pk
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"topic": "abc"}, "topic"),
        ({"topic": "987654"}, "topic"),
        ({"topic": "99999999999999999999999"}, "topic"),
        ({"contact": "-1"}, "contact"),
        ({"kind": "telepathy"}, "kind"),
        ({"visibility": "secret"}, "visibility"),
        ({"date_after": "2026-13-01"}, "date_after"),
        ({"date_before": "2026-02-30"}, "date_before"),
        ({"participant": "you"}, "participant"),
        ({"author": "987654"}, "author"),
        ({"search": "x" * 201}, "search"),
        ({"search": "nul\x00byte"}, "search"),
        ({"ordering": "title"}, "ordering"),
        ({"ordering": "-occurred_at,id"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"topics": "1"}, "topics"),  # misspelt filter: refused, not ignored
    ],
)
def test_invalid_filter_values_are_400_with_a_message(client_for, trustee, query, field):
    MeetingFactory(author=trustee)

    response = client_for(trustee).get("/api/v1/meetings/", query)

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert all(isinstance(message, str) and message for message in errors[field])


def test_an_invalid_cursor_is_404_not_500(client_for, trustee):
    response = client_for(trustee).get("/api/v1/meetings/", {"cursor": "not-a-cursor"})

    assert response.status_code == 404


def test_search_finds_words_in_any_order_without_accents(client_for, trustee):
    person = ContactFactory(first_name="Ähtäri", last_name="Öljynen")
    found = MeetingFactory(
        author=trustee, title="Tapaaminen ministeriössä", notes="Väyläviraston rahoitus"
    )
    by_person = MeetingFactory(author=trustee, title="Puhelu", contacts=[person])
    MeetingFactory(author=trustee, title="Muu asia")
    client = client_for(trustee)

    assert ids(client.get("/api/v1/meetings/", {"search": "vaylaviraston tapaaminen"})) == [
        found.pk
    ]
    assert ids(client.get("/api/v1/meetings/", {"search": "MINISTERIÖSSÄ"})) == [found.pk]
    assert ids(client.get("/api/v1/meetings/", {"search": "oljynen"})) == [by_person.pk]
    assert ids(client.get("/api/v1/meetings/", {"search": "tapaaminen puhelu"})) == []
    assert len(ids(client.get("/api/v1/meetings/", {"search": ""}))) == 3


def test_meetings_are_paged_by_cursor_through_all_rows(client_for, trustee):
    meetings = [MeetingFactory(author=trustee, occurred_at=at(1 + n)) for n in range(7)]
    client = client_for(trustee)

    seen, url, params = [], "/api/v1/meetings/", {"page_size": 3}
    while url:
        page = client.get(url, params).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None
        assert "count" not in page

    assert seen == [m.pk for m in reversed(meetings)]


def test_meetings_order_by_an_allowed_field(client_for, trustee):
    late = MeetingFactory(author=trustee, occurred_at=at(20))
    early = MeetingFactory(author=trustee, occurred_at=at(1))

    assert ids(client_for(trustee).get("/api/v1/meetings/", {"ordering": "occurred_at"})) == [
        early.pk,
        late.pk,
    ]


def test_page_size_is_capped_at_the_maximum(client_for, trustee, settings):
    from config.api import PagePagination

    OrganisationFactory.create_batch(4)
    PagePagination.max_page_size, saved = 3, PagePagination.max_page_size
    try:
        page = client_for(trustee).get("/api/v1/organisations/", {"page_size": 1000}).json()
    finally:
        PagePagination.max_page_size = saved

    assert (page["count"], len(page["results"])) == (4, 3)


def test_an_invalid_page_number_is_404(client_for, trustee):
    assert client_for(trustee).get("/api/v1/organisations/", {"page": 99}).status_code == 404


# --- Follow-ups -----------------------------------------------------------------------------


def test_follow_ups_assigned_to_me_overdue_and_due_before(client_for, trustee, staff, now):
    meeting = MeetingFactory(author=trustee)
    today = now.date()
    mine_overdue = FollowUpFactory(
        meeting=meeting, assignee=trustee, due_date=today - datetime.timedelta(days=1)
    )
    mine_later = FollowUpFactory(
        meeting=meeting, assignee=trustee, due_date=today + datetime.timedelta(days=10)
    )
    FollowUpFactory(
        meeting=meeting,
        assignee=trustee,
        due_date=today - datetime.timedelta(days=5),
        status=FollowUpStatus.DONE,
        completed_at=now,
    )
    staffs = FollowUpFactory(meeting=meeting, assignee=staff, due_date=today)
    client = client_for(trustee)

    assert ids(client.get("/api/v1/follow-ups/", {"assignee": "me", "status": "open"})) == [
        mine_overdue.pk,
        mine_later.pk,
    ]
    assert ids(client.get("/api/v1/follow-ups/", {"overdue": "true"})) == [mine_overdue.pk]
    assert mine_overdue.pk not in ids(client.get("/api/v1/follow-ups/", {"overdue": "false"}))
    assert ids(client.get("/api/v1/follow-ups/", {"due_before": str(today), "status": "open"})) == [
        mine_overdue.pk,
        staffs.pk,
    ]
    assert ids(client.get("/api/v1/follow-ups/", {"assignee": staff.pk})) == [staffs.pk]
    rows = results(client.get("/api/v1/follow-ups/", {"overdue": "true"}))
    assert rows[0]["is_overdue"] is True


def test_follow_ups_of_a_topic_come_from_its_goals_and_meetings(client_for, trustee):
    topic = TopicFactory()
    meeting = MeetingFactory(author=trustee)
    meeting.topics.add(topic)
    from_meeting = FollowUpFactory(meeting=meeting)
    from_goal = FollowUpFactory(
        meeting=None, goal=GoalFactory(topic=topic), assignee=trustee, created_by=trustee
    )
    FollowUpFactory(meeting=MeetingFactory(author=trustee))

    assert sorted(ids(client_for(trustee).get("/api/v1/follow-ups/", {"topic": topic.pk}))) == (
        sorted([from_meeting.pk, from_goal.pk])
    )


@pytest.mark.parametrize(
    "query",
    [{"overdue": "maybe"}, {"due_before": "tomorrow"}, {"status": "late"}, {"assignee": "x"}],
)
def test_invalid_follow_up_filters_are_400(client_for, trustee, query):
    response = client_for(trustee).get("/api/v1/follow-ups/", query)

    assert response.status_code == 400
    assert list(response.json()) == list(query)


# --- The directory, topics and goals ----------------------------------------------------------


def test_contacts_filter_by_organisation_municipality_network_tags_and_owner(client_for, trustee):
    tervo = municipality("Tervo")
    mp = TagFactory(name="kansanedustaja")
    ministry = OrganisationFactory()
    person = ContactFactory(
        organisation=ministry,
        municipality=tervo,
        is_decision_maker=True,
        tags=[mp],
        relationship_owners=[trustee],
    )
    network = NetworkMembershipFactory(contact=person).network
    ContactFactory()
    client = client_for(trustee)

    for query in [
        {"organisation": ministry.pk},
        {"municipality": tervo.pk},
        {"network": network.pk},
        {"tags": "kansanedustaja"},
        {"owner": "me"},
        {"is_decision_maker": "true"},
        {"search": person.last_name},
    ]:
        assert ids(client.get("/api/v1/contacts/", query)) == [person.pk], query
    assert client.get("/api/v1/contacts/", {"tags": "no-such-tag"}).status_code == 400


def test_archived_and_anonymised_contacts_can_be_left_out(client_for, trustee, coordinator):
    active = ContactFactory()
    archived = ContactFactory()
    archived.archive()
    client = client_for(trustee)

    assert ids(client.get("/api/v1/contacts/", {"archived": "false"})) == [active.pk]
    assert ids(client.get("/api/v1/contacts/", {"archived": "true"})) == [archived.pk]


def test_organisations_search_by_name_without_accents(client_for, trustee):
    council = OrganisationFactory(name="Pohjois-Savon liitto")
    OrganisationFactory(name="Väylävirasto")

    assert ids(client_for(trustee).get("/api/v1/organisations/", {"search": "pohjois savon"})) == [
        council.pk
    ]
    assert len(ids(client_for(trustee).get("/api/v1/organisations/", {"search": "vayla"}))) == 1


def test_goals_filter_by_topic_status_municipality_and_target_dates(client_for, coordinator):
    keitele = municipality("Keitele")
    goal = GoalFactory(status=GoalStatus.ACTIVE, target_date=datetime.date(2026, 6, 30))
    GoalEndorsementFactory(goal=goal, municipality=keitele)
    GoalFactory(status=GoalStatus.PROPOSED, target_date=datetime.date(2027, 6, 30))
    client = client_for(coordinator)

    for query in [
        {"topic": goal.topic_id},
        {"status": "active"},
        {"municipality": keitele.pk},
        {"date_before": "2026-12-31"},
        {"date_after": "2026-06-30", "date_before": "2026-06-30"},
    ]:
        assert ids(client.get("/api/v1/goals/", query)) == [goal.pk], query


def test_topics_filter_by_status_priority_and_tags(client_for, coordinator):
    tag = TagFactory(name="liikenne")
    topic = TopicFactory(status="active", priority=3)
    topic.tags.add(tag)
    TopicFactory(status="closed", priority=1)
    client = client_for(coordinator)

    for query in [{"status": "active"}, {"priority": 3}, {"tags": "liikenne"}]:
        assert ids(client.get("/api/v1/topics/", query)) == [topic.pk], query
    assert client.get("/api/v1/topics/", {"priority": 9}).status_code == 400

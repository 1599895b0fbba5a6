"""Every list and detail endpoint runs a fixed number of SQL queries, whether it returns one row
or fifty: related rows come through select_related, prefetch_related or annotations.

Clients are authenticated with force_authenticate, so no query is spent on the session or
the token; the queries counted are the endpoint's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from advocacy.models import Notification
from tests.factories import (
    ContactFactory,
    ContactPositionFactory,
    FollowUpFactory,
    GoalEndorsementFactory,
    GoalFactory,
    GoalProgressFactory,
    MeetingFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    ReminderFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
    municipality,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    url: str
    make: Callable  # make(viewer) -> a new row the viewer sees, with related rows
    list_queries: int
    detail_queries: int
    why: str  # the queries, named


def a_contact(viewer):
    contact = ContactFactory(tags=[TagFactory(), TagFactory()], relationship_owners=[viewer])
    ContactPositionFactory(contact=contact)
    NetworkMembershipFactory(contact=contact)
    MeetingFactory(author=viewer, contacts=[contact])
    return contact


def an_organisation(viewer):
    organisation = OrganisationFactory(municipality=municipality("Tervo"))
    organisation.tags.add(TagFactory())
    ContactFactory(organisation=organisation)
    return organisation


def a_network(viewer):
    network = NetworkFactory(owner=viewer)
    NetworkMembershipFactory(network=network)
    NetworkMembershipFactory(network=network, contact=None, organisation=OrganisationFactory())
    return network


def a_topic(viewer):
    topic = TopicFactory(owner=viewer)
    topic.municipalities.add(municipality("Tervo"))
    topic.tags.add(TagFactory())
    GoalFactory(topic=topic)
    MeetingFactory(author=viewer).topics.add(topic)
    return topic


def a_goal(viewer):
    goal = GoalFactory(owner=viewer)
    GoalEndorsementFactory(goal=goal, municipality=municipality("Tervo"))
    GoalProgressFactory(goal=goal)
    MeetingFactory(author=viewer).goals.add(goal)
    return goal


def a_meeting(viewer):
    meeting = MeetingFactory(
        author=viewer, contacts=ContactFactory.create_batch(2), our_participants=[viewer]
    )
    meeting.topics.add(TopicFactory())
    meeting.goals.add(GoalFactory())
    meeting.organisations.add(OrganisationFactory())
    FollowUpFactory(meeting=meeting)
    return meeting


def a_follow_up(viewer):
    return FollowUpFactory(meeting=MeetingFactory(author=viewer), goal=GoalFactory())


def a_reminder(viewer):
    return ReminderFactory(follow_up=FollowUpFactory(assignee=viewer), recipient=viewer)


def a_notification(viewer):
    return Notification.objects.create(recipient=viewer, kind="follow_up_due", subject="Hei")


def a_user(viewer):
    return UserFactory(municipality=municipality("Tervo"))


ENDPOINTS = {
    "users": Endpoint("/api/v1/users/", a_user, 2, 1, "count; page | the user"),
    "organisations": Endpoint(
        "/api/v1/organisations/",
        an_organisation,
        3,
        2,
        "count; page with municipality, parent and contact count; tags | row; tags",
    ),
    "contacts": Endpoint(
        "/api/v1/contacts/",
        a_contact,
        3,
        3,
        "cursor page of ids; their rows with organisation, tags and owners; the viewer's "
        "meeting count and last meeting of each | the row with organisation, tags, owners, "
        "positions and memberships; the viewer's meeting count and last meeting; the "
        "access-log row",
    ),
    "networks": Endpoint(
        "/api/v1/networks/",
        a_network,
        3,
        2,
        "count; page with owner; members with contact and organisation | row; members",
    ),
    "topics": Endpoint(
        "/api/v1/topics/",
        a_topic,
        4,
        3,
        "count; page with owner, goal count and visible meeting count; municipalities; tags "
        "| row; municipalities; tags",
    ),
    "goals": Endpoint(
        "/api/v1/goals/",
        a_goal,
        3,
        3,
        "count; page with topic, owner and visible meeting count; endorsements with "
        "municipality | row; endorsements; progress trail with author",
    ),
    "meetings": Endpoint(
        "/api/v1/meetings/",
        a_meeting,
        1,
        7,
        "cursor page of rows with author, topics, goals, contacts, our participants and "
        "organisations | row with author and municipality; topics; goals; contacts; our "
        "participants; organisations; follow-ups with assignee",
    ),
    "follow-ups": Endpoint(
        "/api/v1/follow-ups/",
        a_follow_up,
        2,
        1,
        "count; page with assignee, meeting, goal, creator, completer and whether the viewer "
        "sees the meeting | row",
    ),
    "reminders": Endpoint("/api/v1/reminders/", a_reminder, 2, 1, "count; page | row"),
    "notifications": Endpoint("/api/v1/notifications/", a_notification, 2, 1, "count; page | row"),
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_list_runs_the_same_queries_for_one_row_and_for_fifty(
    name, client_for, trustee, django_assert_num_queries
):
    endpoint = ENDPOINTS[name]
    client = client_for(trustee)
    endpoint.make(trustee)

    with django_assert_num_queries(endpoint.list_queries):
        one = client.get(endpoint.url, {"page_size": 100})
    for _ in range(49):
        endpoint.make(trustee)
    with django_assert_num_queries(endpoint.list_queries):
        fifty = client.get(endpoint.url, {"page_size": 100})

    assert len(one.json()["results"]) >= 1
    assert len(fifty.json()["results"]) >= 50


@pytest.mark.parametrize("name", ENDPOINTS)
def test_detail_runs_a_fixed_number_of_queries(
    name, client_for, trustee, django_assert_num_queries
):
    endpoint = ENDPOINTS[name]
    row = endpoint.make(trustee)
    for _ in range(3):
        endpoint.make(trustee)  # more related rows elsewhere change nothing

    with django_assert_num_queries(endpoint.detail_queries):
        response = client_for(trustee).get(f"{endpoint.url}{row.pk}/")

    assert response.status_code == 200


def test_municipalities_list_and_detail(client_for, trustee, django_assert_num_queries):
    # count; page (the seven seeded rows) | row
    with django_assert_num_queries(2):
        assert len(client_for(trustee).get("/api/v1/municipalities/").json()["results"]) == 7
    with django_assert_num_queries(1):
        client_for(trustee).get(f"/api/v1/municipalities/{trustee.municipality_id}/")


def test_me_needs_no_query(client_for, trustee, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client_for(trustee).get("/api/v1/users/me/").json()["id"] == trustee.pk


# --- Logging a meeting (the most frequent write) ---------------------------------------------


def a_meeting_to_log(viewer, *, participants: int, follow_ups: int, links: int = 0) -> dict:
    """The body of POST /api/v1/meetings/: `participants` contacts (each of an organisation),
    `follow_ups` follow-ups for the viewer and a colleague, and `links` each of our
    participants, organisations, topics and goals."""
    colleague = UserFactory(trustee=True, municipality=viewer.municipality)
    return {
        "title": "Tapaaminen ministeriössä",
        "contacts": [
            ContactFactory(organisation=OrganisationFactory()).pk for _ in range(participants)
        ],
        "our_participants": [UserFactory(trustee=True).pk for _ in range(links)],
        "organisations": [OrganisationFactory().pk for _ in range(links)],
        "topics": [TopicFactory().pk for _ in range(links)],
        "goals": [GoalFactory().pk for _ in range(links)],
        "follow_ups": [
            {
                "description": f"Jatkotoimi {n}",
                "assignee": (viewer, colleague)[n % 2].pk,
                "due_date": f"2026-04-{n % 28 + 1:02d}",
            }
            for n in range(follow_ups)
        ],
    }


# The ids in the body, one query per kind: contacts (with their organisations), assignees |
# the service's transaction (a savepoint in a test) | insert the meeting, its participants, its
# user participants, its organisations | insert the follow-ups; read the coordinators and
# every recipient's notification preferences; insert the reminders | update the contacts'
# "last met"; cancel their "not met lately" alerts | end of the transaction. The response is
# built from the rows in hand.
LOG_MEETING_QUERIES = 2 + 1 + 4 + 3 + 2 + 1
# Without follow-ups: no assignees to read, nothing to insert or plan for them.
LOG_MEETING_QUERIES_WITHOUT_FOLLOW_UPS = LOG_MEETING_QUERIES - 4
# With topics, goals, our participants and organisations given: read each kind of id
# (4 queries) and insert the meeting's topics and goals (2).
LOG_MEETING_QUERIES_WITH_ALL_LINKS = LOG_MEETING_QUERIES + 4 + 2


@pytest.mark.parametrize(("participants", "follow_ups"), [(1, 1), (5, 3), (20, 10)])
def test_logging_a_meeting_runs_the_same_queries_for_any_number_of_participants_and_follow_ups(
    participants, follow_ups, client_for, trustee, coordinator, django_assert_num_queries, now
):
    body = a_meeting_to_log(trustee, participants=participants, follow_ups=follow_ups)

    with django_assert_num_queries(LOG_MEETING_QUERIES):
        response = client_for(trustee).post("/api/v1/meetings/", body)

    assert response.status_code == 201, response.json()
    assert len(response.json()["contacts"]) == participants
    assert len(response.json()["follow_ups"]) == follow_ups


@pytest.mark.parametrize("participants", [1, 5])
def test_logging_a_meeting_without_follow_ups_runs_fewer_queries(
    participants, client_for, trustee, django_assert_num_queries, now
):
    body = a_meeting_to_log(trustee, participants=participants, follow_ups=0)

    with django_assert_num_queries(LOG_MEETING_QUERIES_WITHOUT_FOLLOW_UPS):
        response = client_for(trustee).post("/api/v1/meetings/", body)

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("links", [1, 3])
def test_logging_a_meeting_with_every_kind_of_link_runs_a_fixed_number_of_queries(
    links, client_for, trustee, django_assert_num_queries, now
):
    body = a_meeting_to_log(trustee, participants=links, follow_ups=links, links=links)

    with django_assert_num_queries(LOG_MEETING_QUERIES_WITH_ALL_LINKS):
        response = client_for(trustee).post("/api/v1/meetings/", body)

    assert response.status_code == 201, response.json()
    assert len(response.json()["goals"]) == links


@pytest.mark.parametrize("new_contacts", [1, 4])
def test_logging_a_meeting_with_people_met_for_the_first_time_runs_a_fixed_number_of_queries(
    new_contacts, client_for, trustee, django_assert_num_queries, now
):
    body = a_meeting_to_log(trustee, participants=1, follow_ups=0)
    organisation = OrganisationFactory()
    body["new_contacts"] = [
        {"last_name": f"Uusi {n}", "organisation": organisation.pk, "phone": "040 1234567"}
        for n in range(new_contacts)
    ]

    # Their organisations, read with one query; inserted with one.
    with django_assert_num_queries(LOG_MEETING_QUERIES_WITHOUT_FOLLOW_UPS + 2):
        response = client_for(trustee).post("/api/v1/meetings/", body)

    assert response.status_code == 201, response.json()
    assert len(response.json()["contacts"]) == 1 + new_contacts


def test_a_contact_search_runs_the_same_queries_for_one_match_and_for_fifty(
    client_for, trustee, django_assert_num_queries
):
    client = client_for(trustee)
    ContactFactory(last_name="Hänninen")
    # The names (one query), the other fields (one, as the names leave room), the page's ids
    # (one), their rows (one), the viewer's meeting stats of each (one).
    with django_assert_num_queries(5):
        one = client.get("/api/v1/contacts/", {"search": "hänninen", "page_size": 100})
    ContactFactory.create_batch(49, last_name="Hänninen")
    with django_assert_num_queries(5):
        fifty = client.get("/api/v1/contacts/", {"search": "hänninen", "page_size": 100})

    assert len(one.json()["results"]) == 1
    assert len(fifty.json()["results"]) == 50


def test_a_meeting_search_runs_the_same_queries_for_one_match_and_for_fifty(
    client_for, trustee, django_assert_num_queries
):
    client = client_for(trustee)
    MeetingFactory(author=trustee, notes="Ympäristölautakunnan kokous.")
    search = {"search": "ympäristö", "page_size": 100}
    # The vocabulary (one query), whether the word is found as typed (one), the best matching
    # contacts and organisations (one each), the matching ids (one), the rows (one).
    with django_assert_num_queries(6):
        one = client.get("/api/v1/meetings/", search)
    MeetingFactory.create_batch(49, author=trustee, notes="Ympäristölautakunnan kokous.")
    with django_assert_num_queries(6):
        fifty = client.get("/api/v1/meetings/", search)

    assert len(one.json()["results"]) == 1
    assert len(fifty.json()["results"]) == 50

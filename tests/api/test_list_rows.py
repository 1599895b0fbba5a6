"""The hot lists (contacts, meetings, follow-ups) are read as rows (`list_rows()` and a row
function, config.api.RowListMixin), not through their serializers. Their JSON must stay exactly
what the serializers write, which the OpenAPI schema describes: each list is compared here,
row for row, with the serializer's output for the same rows."""

from __future__ import annotations

import datetime
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from advocacy import api as advocacy_api
from advocacy.models import FollowUp, FollowUpStatus, Meeting, Priority, Visibility
from bench.scenarios import contacts_page_whole
from crm.models import Contact, User
from tests.factories import (
    ContactFactory,
    ContactPositionFactory,
    FollowUpFactory,
    GoalFactory,
    MeetingFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
    municipality,
)

pytestmark = pytest.mark.django_db


def serialized(serializer_class, rows, viewer) -> list[dict]:
    context = {"request": SimpleNamespace(user=viewer)}
    data = serializer_class(rows, many=True, context=context).data
    return json.loads(JSONRenderer().render(data))


def listed(client, url: str, **params) -> list[dict]:
    response = client.get(url, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def people(trustee):
    """Users with and without names, contacts with every optional column set or empty."""
    nameless = UserFactory(first_name="", last_name="", username="nimeton")
    owner = UserFactory(first_name="Äijälä", last_name="Öhman")
    tags = [TagFactory(name="päättäjä"), TagFactory(name="alue"), TagFactory(name="Ö-tagi")]
    full = ContactFactory(
        first_name="Mäkelä",
        last_name="Pöyhönen",
        phone="+358401234567",
        mobile_phone="040 765 4321",
        secondary_email="toinen@example.fi",
        municipality=municipality("Tervo"),
        is_decision_maker=True,
        influence_level=4,
        stale_after_days=30,
        notes="Tapasi ympäristölautakunnan kanssa.",
        tags=tags,
        relationship_owners=[owner, trustee, nameless],
    )
    bare = ContactFactory(first_name="", last_name="Yksinimi", organisation=None)
    archived = ContactFactory(last_name="Arkistoitu")
    archived.archived_at = timezone.now() - datetime.timedelta(days=3)
    archived.save(update_fields=["archived_at"])
    return SimpleNamespace(nameless=nameless, owner=owner, contacts=[full, bare, archived])


def test_contacts_list_rows_are_what_the_serializer_writes(client_for, trustee, people):
    MeetingFactory(author=trustee, contacts=people.contacts[:2])
    MeetingFactory(author=trustee, contacts=people.contacts[:1], visibility=Visibility.RESTRICTED)
    meetings = Meeting.objects.visible_to(trustee)
    expected = serialized(
        advocacy_api.ContactSerializer,
        Contact.objects.for_list()
        .annotate(
            meeting_count=meetings.count_for("contact_links__contact"),
            last_met_at=meetings.latest_for("contact_links__contact"),
        )
        .order_by("last_name", "id"),
        trustee,
    )

    rows = listed(client_for(trustee), "/api/v1/contacts/")

    assert rows == expected
    tagged = listed(client_for(trustee), "/api/v1/contacts/", tags=["alue", "päättäjä"])
    assert tagged == [row for row in expected if row["last_name"] == "Pöyhönen"]
    full = next(row for row in rows if row["last_name"] == "Pöyhönen")
    assert full["phone"] == "+358 40 1234567"
    assert full["tags"] == ["alue", "päättäjä", "Ö-tagi"]
    assert full["meeting_count"] == 2


def test_the_benchmarks_whole_contacts_page_query_returns_what_the_endpoint_does(
    client_for, trustee, other_trustee, people
):
    # bench/scenarios.py: the hand-written SQL that the contacts page is measured against.
    MeetingFactory(author=trustee, contacts=people.contacts[:2])
    MeetingFactory(
        author=other_trustee, contacts=people.contacts[:1], visibility=Visibility.RESTRICTED
    )
    MeetingFactory(author=other_trustee, contacts=people.contacts[:1], visibility=Visibility.JOINT)
    sql, params = contacts_page_whole(trustee)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    endpoint = listed(client_for(trustee), "/api/v1/contacts/")

    def shown(row):
        return [
            row["id"],
            row["organisation"] and row["organisation"]["name"],
            row["tags"],
            row["relationship_owners"],
            row["meeting_count"],
            row["last_met_at"] is not None,
        ]

    # id, organisation's name, tags, owners, meeting count and whether any was met.
    assert [[r[0], r[18], r[21], r[22], r[23], r[24] is not None] for r in rows] == [
        shown(row) for row in endpoint
    ]
    # Arkistoitu, Pöyhönen (not the restricted meeting of another), Yksinimi.
    assert [r[23] for r in rows] == [0, 2, 1]
    assert len(rows[0]) == 25


def test_meetings_list_rows_are_what_the_serializer_writes(
    client_for, trustee, coordinator, people
):
    urgent = TopicFactory(name="Liikenne", priority=Priority.HIGH)
    topics = [TopicFactory(name="Asuminen"), urgent, TopicFactory(name="Ilmasto")]
    goals = [GoalFactory(title="B-tavoite"), GoalFactory(title="A-tavoite")]
    organisations = [OrganisationFactory(name="Öljy Oy"), OrganisationFactory(name="Aalto ry")]
    rich = MeetingFactory(
        author=trustee,
        place="Tervon kunnantalo",
        notes="Muistiinpanot",
        outcomes="Sovittiin jatkosta",
        contacts=people.contacts,
        our_participants=[trustee, people.nameless, people.owner],
    )
    rich.topics.set(topics)
    rich.goals.set(goals)
    rich.organisations.set(organisations)
    MeetingFactory(author=coordinator, title="Koordinaattorin kokous", kind="phone")
    MeetingFactory(author=people.nameless, municipality=None, kind="email")

    for viewer in (trustee, coordinator):
        expected = serialized(
            advocacy_api.MeetingSerializer,
            Meeting.objects.visible_to(viewer).for_list().order_by("-occurred_at", "-id"),
            viewer,
        )
        rows = listed(client_for(viewer), "/api/v1/meetings/")
        assert rows == expected
        # Filters that make the rows DISTINCT (several values) keep them as they are.
        chosen = listed(client_for(viewer), "/api/v1/meetings/", kind=["in_person", "phone"])
        assert chosen == [row for row in expected if row["kind"] in ("in_person", "phone")]
        assert {row["can_edit"] for row in rows} == (
            {True} if viewer == coordinator else {True, False}
        )


def test_follow_ups_list_rows_are_what_the_serializer_writes(
    client_for, trustee, other_trustee, people
):
    today = timezone.localdate()
    FollowUpFactory(meeting=MeetingFactory(author=trustee), goal=GoalFactory())
    FollowUpFactory(
        meeting=MeetingFactory(author=trustee),
        due_date=today - datetime.timedelta(days=2),  # overdue
    )
    FollowUpFactory(meeting=None, goal=GoalFactory(), assignee=people.nameless, created_by=None)
    closed = FollowUpFactory(meeting=MeetingFactory(author=trustee))
    FollowUp.objects.filter(pk=closed.pk).update(
        status=FollowUpStatus.DONE,
        completed_at=timezone.now(),
        completed_by=people.owner,
        completion_note="Tehty",
    )
    # The trustee's own follow-up of a restricted meeting she was not at: shown, its meeting not.
    hidden = MeetingFactory(author=other_trustee, visibility=Visibility.RESTRICTED)
    FollowUpFactory(meeting=hidden, assignee=trustee, created_by=other_trustee)
    # One colleague's two follow-ups: the trustee created one of them and may edit that one only.
    for creator in (trustee, other_trustee):
        FollowUpFactory(
            meeting=MeetingFactory(author=trustee), assignee=people.owner, created_by=creator
        )

    expected = serialized(
        advocacy_api.FollowUpSerializer,
        FollowUp.objects.visible_to(trustee)
        .for_list()
        .with_meeting_visibility(trustee)
        .order_by("due_date", "id"),
        trustee,
    )
    rows = listed(client_for(trustee), "/api/v1/follow-ups/")

    assert rows == expected
    assert len(rows) == 7
    assert [row["meeting"] for row in rows if row["assignee"]["id"] == trustee.pk][-1] is None
    assert sorted(row["can_edit"] for row in rows if row["assignee"]["id"] == people.owner.pk) == [
        False,
        True,
    ]
    assert any(row["is_overdue"] for row in rows)


def test_list_rows_keep_the_default_users_order():
    # The rows order linked users as the model does (User.Meta.ordering).
    assert User._meta.ordering == ["last_name", "first_name", "username"]


def test_contact_detail_row_is_what_the_serializer_writes(client_for, trustee, people):
    full = people.contacts[0]
    ContactPositionFactory(contact=full, end_date=datetime.date(2021, 12, 31))
    ContactPositionFactory(contact=full, organisation=None, start_date=None)
    ContactPositionFactory(contact=full, start_date=datetime.date(2024, 5, 1))
    NetworkMembershipFactory(contact=full, since=datetime.date(2023, 1, 1))
    NetworkMembershipFactory(contact=full, role="")
    MeetingFactory(author=trustee, contacts=[full])
    for contact in people.contacts:
        meetings = Meeting.objects.visible_to(trustee)
        instance = (
            Contact.objects.for_detail()
            .annotate(
                meeting_count=meetings.count_for("contact_links__contact"),
                last_met_at=meetings.latest_for("contact_links__contact"),
            )
            .get(pk=contact.pk)
        )
        expected = serialized(advocacy_api.ContactDetailSerializer, [instance], trustee)[0]

        response = client_for(trustee).get(f"/api/v1/contacts/{contact.pk}/")

        assert response.json() == expected
        assert response["ETag"] == f'"{contact.version}"'
        if contact == full:
            assert [p["is_current"] for p in expected["positions"]] == [True, True, False]

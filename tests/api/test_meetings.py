"""Meetings through the API: logging a whole meeting in one request, editing, deleting, and
never leaking a meeting the caller may not see."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from advocacy.models import FollowUp, Meeting, MeetingContact, Visibility
from crm.models import Contact
from tests.api.helpers import ids, results
from tests.factories import (
    ContactFactory,
    GoalFactory,
    MeetingFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MEETINGS = "/api/v1/meetings/"


def detail(meeting) -> str:
    return f"{MEETINGS}{meeting.pk}/"


# --- Logging a meeting in one request ----------------------------------------------------------


def test_trustee_logs_a_whole_meeting_with_five_participants_and_three_follow_ups(
    client_for, trustee, staff, other_trustee, now
):
    ministry = OrganisationFactory(name="Liikenne- ja viestintäministeriö")
    known = ContactFactory.create_batch(3, organisation=ministry)
    topic = TopicFactory(name="Liikenneyhteydet")
    goal = GoalFactory(title="Valtatie 9 perusparannus")
    due = now.date() + datetime.timedelta(days=14)

    response = client_for(trustee).post(
        MEETINGS,
        {
            "title": "Tapaaminen ministeriössä",
            "occurred_at": now.isoformat(),
            "kind": "in_person",
            "place": "Helsinki",
            "notes": "Keskusteltiin valtatien rahoituksesta.",
            "visibility": "joint",
            "contacts": [c.pk for c in known],
            "new_contacts": [
                {"first_name": "Aino", "last_name": "Uusi", "organisation": ministry.pk},
                {"last_name": "Toinen", "email": "toinen@example.fi"},
            ],
            "our_participants": [staff.pk],
            "topics": [topic.pk],
            "goals": [goal.pk],
            "follow_ups": [
                {"description": "Lähetä muistio", "assignee": trustee.pk, "due_date": str(due)},
                {"description": "Soita perään", "assignee": staff.pk, "due_date": str(due)},
                {
                    "description": "Kerro Keiteleelle",
                    "assignee": other_trustee.pk,
                    "due_date": str(due),
                },
            ],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.author == trustee
    assert meeting.contacts.count() == 5
    assert sorted(c["name"] for c in body["contacts"]) == sorted(
        [c.full_name for c in known] + ["Aino Uusi", "Toinen"]
    )
    assert {u["id"] for u in body["our_participants"]} == {trustee.pk, staff.pk}
    # The goal's topic is linked with the goal; the ministry through its people.
    assert {t["id"] for t in body["topics"]} == {goal.topic_id, topic.pk}
    assert [o["id"] for o in body["organisations"]] == [ministry.pk]
    assert sorted(f["description"] for f in body["follow_ups"]) == [
        "Kerro Keiteleelle",
        "Lähetä muistio",
        "Soita perään",
    ]
    assert FollowUp.objects.filter(meeting=meeting, due_date=due).count() == 3
    assert Contact.objects.get(last_name="Uusi").created_by == trustee
    assert response["ETag"] == '"1"'
    for contact in known:
        contact.refresh_from_db()
        assert contact.last_interaction_at == now


def test_the_new_meeting_is_shown_exactly_as_reading_it_again_shows_it(
    client_for, trustee, staff, other_trustee, now
):
    """The response of a logged meeting is built from the rows in hand, not read again: it
    must not differ from the meeting's detail, the order of every list included. (Names whose
    order is the same in every collation: the rows in hand are sorted by code point.)"""
    for user, last_name in ((trustee, "Virta"), (staff, "Hiltunen"), (other_trustee, "Kemppi")):
        user.last_name = last_name
        user.save()
    ministry = OrganisationFactory(name="Valtiovarainministeriö")
    agency = OrganisationFactory(name="Väylävirasto")
    contacts = [
        ContactFactory(first_name="Ulla", last_name="Virtanen", organisation=ministry),
        ContactFactory(first_name="Aino", last_name="Aalto", organisation=agency),
        ContactFactory(first_name="Aapo", last_name="Aalto", organisation=None),
        ContactFactory(first_name="Eero", last_name="Mäkelä", organisation=ministry),
    ]
    topics = [
        TopicFactory(name="Alfa", priority=1),
        TopicFactory(name="Zeta", priority=3),
        TopicFactory(name="Beta", priority=3),
    ]
    goals = [
        GoalFactory(title="Ilman päivää", target_date=None, topic=topics[0]),
        GoalFactory(title="Myöhemmin", target_date=datetime.date(2027, 6, 1), topic=topics[1]),
        # A goal brings its topic along.
        GoalFactory(title="Aiemmin", target_date=datetime.date(2026, 6, 1)),
    ]
    due = now.date() + datetime.timedelta(days=14)
    response = client_for(trustee).post(
        MEETINGS,
        {
            "title": "Tapaaminen",
            "occurred_at": "2026-03-09T14:00:00+02:00",
            "contacts": [c.pk for c in contacts],
            "new_contacts": [{"last_name": "Uusi", "organisation": agency.pk}],
            "our_participants": [other_trustee.pk, staff.pk],
            "organisations": [OrganisationFactory(name="Kela").pk, agency.pk],
            "topics": [t.pk for t in topics],
            "goals": [g.pk for g in goals],
            "follow_ups": [
                {"description": "Myöhempi", "assignee": staff.pk, "due_date": str(due)},
                {"description": "Aiempi", "assignee": trustee.pk, "due_date": str(now.date())},
                {"description": "Sama päivä", "assignee": trustee.pk, "due_date": str(due)},
            ],
        },
    )
    assert response.status_code == 201, response.json()

    again = client_for(trustee).get(f"{MEETINGS}{response.json()['id']}/")

    assert response.json() == again.json()
    assert response["ETag"] == again["ETag"]
    body = response.json()
    assert [c["name"] for c in body["contacts"]] == [
        "Aapo Aalto",
        "Aino Aalto",
        "Eero Mäkelä",
        "Uusi",
        "Ulla Virtanen",
    ]
    assert [t["name"] for t in body["topics"]] == ["Beta", "Zeta", goals[2].topic.name, "Alfa"]
    assert [g["title"] for g in body["goals"]] == ["Aiemmin", "Myöhemmin", "Ilman päivää"]
    assert [f["description"] for f in body["follow_ups"]] == ["Aiempi", "Myöhempi", "Sama päivä"]


def test_a_bad_follow_up_leaves_nothing_behind(client_for, trustee, now):
    """The third follow-up's assignee has left; the service refuses it after the meeting, the
    new contact and two follow-ups were written — and all of it is rolled back."""
    departed = UserFactory(is_active=False)
    trustee.language = "en"
    trustee.save()
    due = str(now.date() + datetime.timedelta(days=7))
    contacts_before = Contact.objects.count()

    response = client_for(trustee).post(
        MEETINGS,
        {
            "title": "Puhelu",
            "contacts": [ContactFactory().pk],
            "new_contacts": [{"last_name": "Vasta-Tavattu"}],
            "follow_ups": [
                {"description": "Yksi", "assignee": trustee.pk, "due_date": due},
                {"description": "Kaksi", "assignee": trustee.pk, "due_date": due},
                {"description": "Kolme", "assignee": departed.pk, "due_date": due},
            ],
        },
    )

    assert response.status_code == 400
    assert response.json() == {"follow_ups": ["Follow-up 3: The assignee's account is not active."]}
    assert Meeting.objects.count() == 0
    assert FollowUp.objects.count() == 0
    assert Contact.objects.count() == contacts_before + 1  # only the factory's contact
    assert not Contact.objects.filter(last_name="Vasta-Tavattu").exists()


def test_unknown_related_ids_are_field_errors_and_nothing_is_written(client_for, trustee):
    topic = TopicFactory()

    response = client_for(trustee).post(
        MEETINGS,
        {
            "title": "Tapaaminen",
            "contacts": [987654],
            "topics": [topic.pk, 987655],
            "follow_ups": [{"description": "x", "assignee": 987656, "due_date": "2026-05-01"}],
        },
    )

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"contacts", "topics", "follow_ups"}
    assert "987654" in errors["contacts"][0]
    assert "987655" in errors["topics"][0]
    # Errors of nested items are keyed by the item's position.
    assert list(errors["follow_ups"]) == ["0"]
    assert list(errors["follow_ups"]["0"]) == ["assignee"]
    assert Meeting.objects.count() == 0


def test_a_follow_up_cannot_be_added_to_a_meeting_one_may_not_see(
    client_for, trustee, other_trustee
):
    hidden = MeetingFactory(author=other_trustee, visibility=Visibility.RESTRICTED)

    response = client_for(trustee).post(
        "/api/v1/follow-ups/",
        {
            "meeting": hidden.pk,
            "description": "x",
            "assignee": trustee.pk,
            "due_date": "2026-05-01",
        },
    )

    assert response.status_code == 400
    assert set(response.json()) == {"meeting"}
    # The same words as for a meeting that does not exist: nothing is revealed.
    missing = client_for(trustee).post(
        "/api/v1/follow-ups/",
        {"meeting": 987654, "description": "x", "assignee": trustee.pk, "due_date": "2026-05-01"},
    )
    assert missing.json()["meeting"] == [
        message.replace(str(hidden.pk), "987654") for message in response.json()["meeting"]
    ]
    assert FollowUp.objects.count() == 0


def test_admin_may_not_log_meetings(client_for, admin_role_user):
    response = client_for(admin_role_user).post(MEETINGS, {"title": "Tapaaminen"})

    assert response.status_code == 403
    assert Meeting.objects.count() == 0


# --- Editing and deleting ------------------------------------------------------------------


def test_author_replaces_participants_and_topics_of_a_meeting(client_for, trustee, now):
    first, second = ContactFactory.create_batch(2)
    meeting = MeetingFactory(author=trustee, contacts=[first], occurred_at=now)
    topic = TopicFactory()

    response = client_for(trustee).patch(
        detail(meeting),
        {"title": "Uusi otsikko", "contacts": [second.pk], "topics": [topic.pk], "version": 1},
    )

    assert response.status_code == 200, response.json()
    meeting.refresh_from_db()
    assert meeting.title == "Uusi otsikko"
    assert list(meeting.contacts.all()) == [second]
    assert list(meeting.topics.all()) == [topic]
    assert meeting.version == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.last_interaction_at, second.last_interaction_at) == (None, now)


def test_staff_may_not_edit_someone_elses_meeting(client_for, trustee, staff):
    meeting = MeetingFactory(author=trustee, title="Alkuperäinen")

    response = client_for(staff).patch(detail(meeting), {"title": "Muutettu", "version": 1})

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Alkuperäinen"


def test_coordinator_edits_any_meeting_she_can_see(client_for, trustee, coordinator):
    meeting = MeetingFactory(author=trustee, visibility=Visibility.MUNICIPALITY)

    response = client_for(coordinator).patch(detail(meeting), {"place": "Tervo", "version": 1})

    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.place == "Tervo"


def test_author_deletes_a_meeting_and_the_contacts_last_meeting_is_recomputed(
    client_for, trustee, now
):
    person = ContactFactory()
    earlier = MeetingFactory(
        author=trustee, contacts=[person], occurred_at=now - datetime.timedelta(days=3)
    )
    mistake = MeetingFactory(author=trustee, contacts=[person], occurred_at=now)
    person.last_interaction_at = now
    person.save()

    response = client_for(trustee).delete(detail(mistake))

    assert response.status_code == 204
    assert not Meeting.objects.filter(pk=mistake.pk).exists()
    person.refresh_from_db()
    assert person.last_interaction_at == earlier.occurred_at


# --- Restricted meetings never leak ----------------------------------------------------------


@pytest.fixture
def restricted_meeting(other_trustee, now):
    """A restricted meeting of Keitele's trustee with a shared contact about a shared topic."""
    contact = ContactFactory(last_name="Salainen-Kontakti")
    topic = TopicFactory(name="Yhteinen teema")
    goal = GoalFactory(topic=topic)
    meeting = MeetingFactory(
        author=other_trustee,
        visibility=Visibility.RESTRICTED,
        title="Luottamuksellinen neuvottelu",
        notes="Arkaluonteista",
        contacts=[contact],
        occurred_at=now,
    )
    meeting.topics.add(topic)
    meeting.goals.add(goal)
    meeting.organisations.add(contact.organisation)
    return meeting


def test_restricted_meeting_of_another_is_a_404_not_a_403(client_for, trustee, restricted_meeting):
    client = client_for(trustee)

    assert client.get(detail(restricted_meeting)).status_code == 404
    assert client.patch(detail(restricted_meeting), {"title": "x", "version": 1}).status_code == 404
    assert client.delete(detail(restricted_meeting)).status_code == 404
    assert Meeting.objects.filter(pk=restricted_meeting.pk).exists()


def test_restricted_meeting_is_not_in_lists_filters_or_searches(
    client_for, trustee, restricted_meeting
):
    client = client_for(trustee)
    contact = restricted_meeting.contacts.get()
    topic = restricted_meeting.topics.get()
    goal = restricted_meeting.goals.get()
    network = NetworkMembershipFactory(contact=contact).network
    queries = [
        {},
        {"contact": contact.pk},
        {"topic": topic.pk},
        {"goal": goal.pk},
        {"organisation": contact.organisation_id},
        {"network": network.pk},
        {"author": restricted_meeting.author_id},
        {"visibility": "restricted"},
        {"search": "Luottamuksellinen"},
        {"search": "arkaluonteista"},
        {"search": "Salainen-Kontakti"},
    ]
    for query in queries:
        assert ids(client.get(MEETINGS, query)) == [], query


def test_restricted_meeting_is_not_counted_or_dated_in_other_resources(
    client_for, trustee, other_trustee, restricted_meeting
):
    contact = restricted_meeting.contacts.get()
    topic = restricted_meeting.topics.get()
    goal = restricted_meeting.goals.get()
    contact.last_interaction_at = restricted_meeting.occurred_at  # what the reminders know
    contact.save()
    client = client_for(trustee)

    shown_contact = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    assert (shown_contact["meeting_count"], shown_contact["last_met_at"]) == (0, None)
    assert "last_interaction_at" not in shown_contact
    assert client.get(f"/api/v1/topics/{topic.pk}/").json()["meeting_count"] == 0
    assert client.get(f"/api/v1/goals/{goal.pk}/").json()["meeting_count"] == 0
    assert ids(client.get("/api/v1/contacts/", {"topic": topic.pk})) == []
    # Its author sees it everywhere.
    author = client_for(other_trustee)
    assert author.get(f"/api/v1/contacts/{contact.pk}/").json()["meeting_count"] == 1
    assert author.get(f"/api/v1/topics/{topic.pk}/").json()["meeting_count"] == 1
    assert author.get(f"/api/v1/goals/{goal.pk}/").json()["meeting_count"] == 1
    assert ids(author.get("/api/v1/contacts/", {"topic": topic.pk})) == [contact.pk]


def test_own_follow_up_of_a_restricted_meeting_does_not_reveal_the_meeting(
    client_for, trustee, other_trustee, restricted_meeting
):
    """Keitele's trustee assigned a follow-up to Tervo's trustee, who was not at the meeting:
    the follow-up is hers to do, the meeting stays hidden."""
    follow_up = FollowUp.objects.create(
        meeting=restricted_meeting,
        description="Selvitä rahoitus",
        assignee=trustee,
        created_by=other_trustee,
        due_date=datetime.date(2026, 4, 1),
    )

    rows = results(client_for(trustee).get("/api/v1/follow-ups/", {"assignee": "me"}))

    assert [(row["id"], row["meeting"]) for row in rows] == [(follow_up.pk, None)]
    assert client_for(trustee).get(detail(restricted_meeting)).status_code == 404
    # The meeting's author sees the meeting with it.
    shown = client_for(other_trustee).get(f"/api/v1/follow-ups/{follow_up.pk}/").json()
    assert shown["meeting"] == {"id": restricted_meeting.pk, "title": restricted_meeting.title}


def test_participant_of_a_restricted_meeting_sees_it(client_for, trustee, other_trustee):
    meeting = MeetingFactory(
        author=other_trustee, visibility=Visibility.RESTRICTED, our_participants=[trustee]
    )

    assert ids(client_for(trustee).get(MEETINGS)) == [meeting.pk]
    assert client_for(trustee).get(detail(meeting)).status_code == 200


def test_municipality_meeting_is_seen_in_the_municipality_and_by_the_coordinator(
    client_for, trustee, staff, other_trustee, coordinator
):
    meeting = MeetingFactory(author=trustee, visibility=Visibility.MUNICIPALITY)

    assert ids(client_for(staff).get(MEETINGS)) == [meeting.pk]
    assert ids(client_for(coordinator).get(MEETINGS)) == [meeting.pk]
    assert ids(client_for(other_trustee).get(MEETINGS)) == []
    assert MeetingContact.objects.count() == 0


def test_restricting_a_meeting_takes_it_out_of_a_colleagues_count_and_last_met(
    client_for, trustee, staff
):
    person = ContactFactory()
    older = MeetingFactory(
        author=trustee, contacts=[person], occurred_at=timezone.now() - datetime.timedelta(10)
    )
    newer = MeetingFactory(author=trustee, contacts=[person])
    colleague = client_for(staff)

    before = colleague.get(f"/api/v1/contacts/{person.pk}/").json()
    assert (before["meeting_count"], before["last_met_at"][:16]) == (
        2,
        newer.occurred_at.astimezone(timezone.get_current_timezone()).isoformat()[:16],
    )

    response = client_for(trustee).patch(
        f"/api/v1/meetings/{newer.pk}/",
        {"visibility": Visibility.RESTRICTED, "version": newer.version},
        format="json",
    )
    assert response.status_code == 200, response.content

    after = colleague.get(f"/api/v1/contacts/{person.pk}/").json()
    listed = colleague.get("/api/v1/contacts/").json()["results"]
    row = next(row for row in listed if row["id"] == person.pk)
    expected_last = older.occurred_at.astimezone(timezone.get_current_timezone()).isoformat()
    assert (after["meeting_count"], after["last_met_at"][:16]) == (1, expected_last[:16])
    assert (row["meeting_count"], row["last_met_at"]) == (1, after["last_met_at"])
    # The author still counts both.
    own = client_for(trustee).get(f"/api/v1/contacts/{person.pk}/").json()
    assert own["meeting_count"] == 2

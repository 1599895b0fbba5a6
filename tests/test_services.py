"""Each service keeps its invariants: what it writes, what it refuses, what it leaves alone."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from advocacy import services
from advocacy.models import (
    FollowUp,
    FollowUpStatus,
    GoalProgress,
    GoalStatus,
    Meeting,
    MeetingContact,
    Reminder,
    ReminderKind,
    ReminderState,
    Visibility,
)
from advocacy.services import NewContact, NewFollowUp
from crm import services as crm_services
from crm.models import Contact, ContactPosition, NetworkMembership
from tests.conftest import HELSINKI
from tests.factories import (
    ContactFactory,
    ContactPositionFactory,
    GoalFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    ReminderFactory,
    TagFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ContactEvent = apps.get_model("crm", "ContactEvent")
MeetingEvent = apps.get_model("advocacy", "MeetingEvent")


def at(day: int, hour: int = 10) -> datetime.datetime:
    """A moment of March 2026 in Helsinki."""
    return datetime.datetime(2026, 3, day, hour, tzinfo=HELSINKI)


def meet(author, *contacts, when=None, **options) -> Meeting:
    return services.log_meeting(
        author=author, title="Tapaaminen", occurred_at=when, contacts=contacts, **options
    )


def next_week() -> datetime.date:
    return datetime.date(2026, 3, 17)


# --- log_meeting -----------------------------------------------------------------------------


def test_logging_a_meeting_writes_meeting_participants_topics_goals_and_follow_ups_at_once(
    trustee, other_trustee, tervo, now
):
    ministry = OrganisationFactory(name="Liikenne- ja viestintäministeriö")
    agency = OrganisationFactory(name="Väylävirasto")
    council = OrganisationFactory(name="Pohjois-Savon liitto")
    known = ContactFactory(organisation=ministry)
    marketing = TopicFactory(name="Alueellinen markkinointi")
    goal = GoalFactory(topic=TopicFactory(name="Liikenneyhteydet"), title="Valtatie 9 kuntoon")

    meeting = services.log_meeting(
        author=trustee,
        title="  Valtatie 9:n rahoitus  ",
        contacts=[known],
        new_contacts=[
            NewContact(
                last_name="Korhonen",
                first_name="Anna",
                organisation=agency,
                email="anna.korhonen@vayla.fi",
                phone="040 1234567",
            )
        ],
        our_participants=[other_trustee],
        organisations=[council],
        topics=[marketing],
        goals=[goal],
        follow_ups=[
            NewFollowUp(description="Lähetä muistio", assignee=other_trustee, due_date=next_week())
        ],
    )

    assert Meeting.objects.get() == meeting
    assert (meeting.title, meeting.author, meeting.municipality) == (
        "Valtatie 9:n rahoitus",
        trustee,
        tervo,
    )
    assert meeting.occurred_at == now
    new = Contact.objects.exclude(pk=known.pk).get()
    assert (new.last_name, new.first_name, new.email, new.created_by) == (
        "Korhonen",
        "Anna",
        "anna.korhonen@vayla.fi",
        trustee,
    )
    assert new.phone.as_e164 == "+358401234567"
    assert set(meeting.contacts.all()) == {known, new}
    assert set(meeting.topics.all()) == {marketing, goal.topic}
    assert list(meeting.goals.all()) == [goal]
    assert set(meeting.our_participants.all()) == {trustee, other_trustee}
    assert set(meeting.organisations.all()) == {ministry, agency, council}
    follow_up = FollowUp.objects.get()
    assert (follow_up.meeting, follow_up.description, follow_up.assignee) == (
        meeting,
        "Lähetä muistio",
        other_trustee,
    )
    assert (follow_up.created_by, follow_up.status, follow_up.due_date) == (
        trustee,
        FollowUpStatus.OPEN,
        next_week(),
    )


@pytest.mark.parametrize(("participants", "follow_ups"), [(1, 1), (5, 3), (20, 10)])
def test_logging_a_meeting_runs_the_same_queries_for_any_number_of_participants_and_follow_ups(
    participants, follow_ups, trustee, other_trustee, coordinator, django_assert_num_queries, now
):
    contacts = ContactFactory.create_batch(participants)
    specs = [
        NewFollowUp(description=f"Jatkotoimi {n}", assignee=other_trustee, due_date=next_week())
        for n in range(follow_ups)
    ]

    # The transaction (a savepoint in a test) | insert the meeting, its participants, its user
    # participants, its organisations | insert the follow-ups; read the coordinators and every
    # recipient's notification preferences; insert the reminders | update the contacts' "last
    # met"; cancel their "not met lately" alerts | end of the transaction.
    with django_assert_num_queries(1 + 4 + 3 + 2 + 1):
        meeting = meet(trustee, *contacts, follow_ups=specs)

    assert meeting.contact_links.count() == participants
    assert meeting.follow_ups.count() == follow_ups
    first = meeting.follow_ups.first()
    assert first.reminders.exists()
    assert Reminder.objects.filter(follow_up__meeting=meeting).count() == (
        first.reminders.count() * follow_ups
    )


def test_people_met_for_the_first_time_are_created_with_their_history_at_once(
    trustee, django_assert_num_queries
):
    agency = OrganisationFactory()
    people = [NewContact(last_name=f"Uusi {n}", organisation=agency) for n in range(3)]

    # As above without follow-ups, and one insert of the new contacts.
    with django_assert_num_queries(1 + 4 + 1 + 2 + 1):
        meeting = services.log_meeting(author=trustee, title="Tapaaminen", new_contacts=people)

    created = Contact.objects.filter(last_name__startswith="Uusi")
    assert set(meeting.contacts.all()) == set(created)
    assert {(c.organisation, c.created_by, c.last_interaction_at) for c in created} == {
        (agency, trustee, meeting.occurred_at)
    }
    events = ContactEvent.objects.filter(pgh_obj_id__in=created.values("pk"))
    assert [e.pgh_context.metadata for e in events] == [
        {"user": trustee.pk, "action": "log_meeting"}
    ] * 3


def test_a_meeting_logged_to_be_shown_holds_what_the_database_holds(
    trustee, other_trustee, staff, django_assert_num_queries
):
    """hold_links: the meeting comes back with its links as for_detail() reads them."""
    ministry = OrganisationFactory()
    goal = GoalFactory()
    meeting = services.log_meeting(
        author=trustee,
        title="Tapaaminen",
        contacts=[ContactFactory(organisation=ministry), ContactFactory(organisation=None)],
        new_contacts=[NewContact(last_name="Uusi", organisation=OrganisationFactory())],
        our_participants=[staff, other_trustee],
        organisations=[ministry, OrganisationFactory()],
        topics=[TopicFactory(), TopicFactory()],
        goals=[goal, GoalFactory(topic=goal.topic)],
        follow_ups=[
            NewFollowUp(description="Yksi", assignee=staff, due_date=next_week()),
            NewFollowUp(description="Kaksi", assignee=trustee, due_date=datetime.date(2026, 3, 12)),
        ],
        hold_links=True,
    )
    relations = ["contacts", "our_participants", "organisations", "topics", "goals", "follow_ups"]

    with django_assert_num_queries(0):
        held = {name: list(getattr(meeting, name).all()) for name in relations}

    stored = Meeting.objects.for_detail().get(pk=meeting.pk)
    assert held == {name: list(getattr(stored, name).all()) for name in relations}
    assert all(held.values())


def test_author_is_one_of_our_participants_even_when_not_listed(trustee):
    meeting = meet(trustee, ContactFactory())

    assert list(meeting.our_participants.all()) == [trustee]


def test_meeting_history_carries_author_and_action(trustee):
    meeting = meet(trustee, ContactFactory())

    event = MeetingEvent.objects.get(pgh_obj_id=meeting.pk)
    assert event.pgh_context.metadata == {"user": trustee.pk, "action": "log_meeting"}


def test_logging_a_meeting_marks_when_each_contact_was_last_met(trustee):
    first, second = ContactFactory(), ContactFactory()

    meet(trustee, first, second, when=at(5))

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.last_interaction_at == second.last_interaction_at == at(5)


def test_older_meeting_logged_later_keeps_the_latest_interaction(trustee):
    contact = ContactFactory()
    meet(trustee, contact, when=at(5))

    meet(trustee, contact, when=at(2))

    contact.refresh_from_db()
    assert contact.last_interaction_at == at(5)


def test_newer_meeting_moves_the_latest_interaction_forward(trustee, other_trustee):
    contact = ContactFactory()
    meet(trustee, contact, when=at(5))

    meet(other_trustee, contact, when=at(8), visibility=Visibility.RESTRICTED)

    contact.refresh_from_db()
    assert contact.last_interaction_at == at(8)


def test_moving_a_meeting_earlier_recomputes_the_latest_interaction(trustee):
    contact = ContactFactory()
    meet(trustee, contact, when=at(2))
    later = meet(trustee, contact, when=at(8))

    services.update_meeting(meeting=later, by=trustee, occurred_at=at(1))

    contact.refresh_from_db()
    assert contact.last_interaction_at == at(2)


# Each makes one part of an otherwise good meeting bad; `user` is the author.
BAD_PARTS = {
    "blank follow-up": lambda user: {
        "follow_ups": [
            NewFollowUp(description="Soita", assignee=user, due_date=next_week()),
            NewFollowUp(description="   ", assignee=user, due_date=next_week()),
        ]
    },
    "new contact with invalid e-mail": lambda user: {
        "new_contacts": [NewContact(last_name="Korhonen", email="anna.korhonen(at)vayla.fi")]
    },
    "new contact with invalid phone": lambda user: {
        "new_contacts": [NewContact(last_name="Korhonen", phone="12345")]
    },
    "blank title": lambda user: {"title": "   "},
}


@pytest.mark.parametrize("bad_part", BAD_PARTS.values(), ids=BAD_PARTS.keys())
def test_meeting_with_one_bad_part_leaves_no_row_behind(trustee, other_trustee, bad_part):
    known = ContactFactory()
    good = {
        "title": "Valtatie 9:n rahoitus",
        "contacts": [known],
        "new_contacts": [NewContact(last_name="Hyvönen", email="pekka.hyvonen@example.fi")],
        "follow_ups": [NewFollowUp(description="Soita", assignee=trustee, due_date=next_week())],
    }

    with pytest.raises(ValidationError):
        services.log_meeting(
            author=trustee, our_participants=[other_trustee], **(good | bad_part(trustee))
        )

    assert not Meeting.objects.exists()
    assert not MeetingContact.objects.exists()
    assert not FollowUp.objects.exists()
    assert list(Contact.objects.all()) == [known]
    assert not MeetingEvent.objects.exists()
    known.refresh_from_db()
    assert known.last_interaction_at is None


def test_user_without_a_creator_role_may_not_log_meetings(admin_role_user):
    with pytest.raises(PermissionDenied):
        meet(admin_role_user, ContactFactory())

    assert not Meeting.objects.exists()


def test_inactive_trustee_may_not_log_meetings(trustee):
    trustee.is_active = False
    trustee.save()

    with pytest.raises(PermissionDenied):
        meet(trustee, ContactFactory())

    assert not Meeting.objects.exists()


# --- Follow-ups ------------------------------------------------------------------------------


@pytest.fixture
def follow_up(trustee, staff):
    """An open follow-up of the Tervo trustee's meeting, assigned to Tervo staff."""
    meeting = meet(trustee, ContactFactory())
    return services.add_follow_up(
        by=trustee,
        meeting=meeting,
        description="Lähetä muistio",
        assignee=staff,
        due_date=next_week(),
    )


def reminder_states(follow_up) -> dict[str, str]:
    return dict(follow_up.reminders.values_list("key", "state"))


def test_follow_up_added_to_meeting_records_its_creator(follow_up, trustee, staff):
    assert FollowUp.objects.get() == follow_up
    assert (follow_up.created_by, follow_up.assignee) == (trustee, staff)


def test_follow_up_cannot_be_added_to_meeting_one_cannot_see(trustee, other_trustee):
    meeting = meet(trustee, ContactFactory(), visibility=Visibility.RESTRICTED)

    with pytest.raises(PermissionDenied):
        services.add_follow_up(
            by=other_trustee,
            meeting=meeting,
            description="Soita",
            assignee=other_trustee,
            due_date=next_week(),
        )

    assert not FollowUp.objects.exists()


def test_follow_up_of_a_goal_needs_no_meeting(coordinator):
    goal = GoalFactory()

    follow_up = services.add_follow_up(
        by=coordinator,
        goal=goal,
        description="Valmistele lausunto",
        assignee=coordinator,
        due_date=next_week(),
    )

    assert list(goal.follow_ups.all()) == [follow_up]
    assert follow_up.meeting is None


def test_completing_a_follow_up_records_who_when_and_why(follow_up, staff, now):
    services.complete_follow_up(follow_up=follow_up, by=staff, note="Muistio lähetetty.")

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert (follow_up.completed_at, follow_up.completed_by) == (now, staff)
    assert follow_up.completion_note == "Muistio lähetetty."


def test_completing_a_follow_up_cancels_its_pending_reminders_only(follow_up, staff, now):
    ReminderFactory(follow_up=follow_up, key="day-before", state=ReminderState.PENDING)
    ReminderFactory(follow_up=follow_up, key="week-before", state=ReminderState.SENT, sent_at=now)
    ReminderFactory(follow_up=follow_up, key="overdue", state=ReminderState.FAILED)
    other = ReminderFactory(state=ReminderState.PENDING)

    services.complete_follow_up(follow_up=follow_up, by=staff)

    assert reminder_states(follow_up) == {
        "day-before": ReminderState.CANCELLED,
        "week-before": ReminderState.SENT,
        "overdue": ReminderState.FAILED,
    }
    other.refresh_from_db()
    assert other.state == ReminderState.PENDING


def test_completing_twice_is_harmless(follow_up, staff, coordinator, time_machine):
    time_machine.move_to(at(10), tick=False)
    services.complete_follow_up(follow_up=follow_up, by=staff, note="Tehty.")
    time_machine.move_to(at(11), tick=False)

    services.complete_follow_up(follow_up=follow_up, by=coordinator, note="Tehty uudestaan.")

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_at) == (FollowUpStatus.DONE, at(10))
    assert (follow_up.completed_by, follow_up.completion_note) == (staff, "Tehty.")


def test_cancelling_a_follow_up_cancels_its_pending_reminders(follow_up, trustee, now):
    ReminderFactory(follow_up=follow_up, key="day-before", state=ReminderState.PENDING)

    services.cancel_follow_up(follow_up=follow_up, by=trustee, note="Ei enää ajankohtainen.")

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_at, follow_up.completed_by) == (
        FollowUpStatus.CANCELLED,
        now,
        trustee,
    )
    assert reminder_states(follow_up) == {"day-before": ReminderState.CANCELLED}


def test_cancelling_a_done_follow_up_is_refused(follow_up, staff):
    services.complete_follow_up(follow_up=follow_up, by=staff)

    with pytest.raises(ValidationError):
        services.cancel_follow_up(follow_up=follow_up, by=staff)

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE


@pytest.mark.parametrize("close", [services.complete_follow_up, services.cancel_follow_up])
def test_someone_not_assignee_creator_or_coordinator_may_not_close_a_follow_up(
    follow_up, other_trustee, close
):
    ReminderFactory(follow_up=follow_up, key="day-before", state=ReminderState.PENDING)

    with pytest.raises(PermissionDenied):
        close(follow_up=follow_up, by=other_trustee)

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_at) == (FollowUpStatus.OPEN, None)
    assert reminder_states(follow_up) == {"day-before": ReminderState.PENDING}


@pytest.mark.parametrize("who", ["trustee", "staff", "coordinator"])
def test_creator_assignee_and_coordinator_may_complete_a_follow_up(follow_up, request, who):
    user = request.getfixturevalue(who)

    services.complete_follow_up(follow_up=follow_up, by=user)

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.completed_by) == (FollowUpStatus.DONE, user)


def test_assignee_may_re_date_and_reword_a_follow_up(follow_up, staff):
    services.update_follow_up(
        follow_up=follow_up,
        by=staff,
        description="  Lähetä muistio ja kalvot ",
        due_date=at(20).date(),
    )

    follow_up.refresh_from_db()
    assert (follow_up.description, follow_up.due_date) == (
        "Lähetä muistio ja kalvot",
        at(20).date(),
    )


def test_coordinator_may_reassign_anyones_follow_up(follow_up, coordinator, other_trustee):
    services.update_follow_up(follow_up=follow_up, by=coordinator, assignee=other_trustee)

    follow_up.refresh_from_db()
    assert follow_up.assignee == other_trustee
    assert follow_up.due_date == next_week()


def test_outsider_may_not_update_a_follow_up(follow_up, other_trustee):
    with pytest.raises(PermissionDenied):
        services.update_follow_up(follow_up=follow_up, by=other_trustee, assignee=other_trustee)

    follow_up.refresh_from_db()
    assert follow_up.assignee != other_trustee


def test_closed_follow_up_cannot_be_updated(follow_up, staff):
    services.complete_follow_up(follow_up=follow_up, by=staff)

    with pytest.raises(ValidationError):
        services.update_follow_up(follow_up=follow_up, by=staff, due_date=at(30).date())

    follow_up.refresh_from_db()
    assert follow_up.due_date == next_week()


def test_follow_up_cannot_be_reworded_to_nothing(follow_up, staff):
    with pytest.raises(ValidationError):
        services.update_follow_up(follow_up=follow_up, by=staff, description="   ")

    follow_up.refresh_from_db()
    assert follow_up.description == "Lähetä muistio"


# --- Goals -----------------------------------------------------------------------------------


def test_recording_goal_progress_moves_the_goal_and_adds_a_trail_entry(coordinator, now):
    goal = GoalFactory(status=GoalStatus.PROPOSED, progress=0)

    entry = services.record_goal_progress(
        goal=goal, by=coordinator, status=GoalStatus.ACTIVE, progress=40, note="Lausunto jätetty."
    )

    goal.refresh_from_db()
    assert (goal.status, goal.progress) == (GoalStatus.ACTIVE, 40)
    assert list(goal.progress_trail.all()) == [entry]
    assert (entry.author, entry.status, entry.progress, entry.note, entry.created_at) == (
        coordinator,
        GoalStatus.ACTIVE,
        40,
        "Lausunto jätetty.",
        now,
    )


def test_each_progress_record_adds_to_the_trail(coordinator):
    goal = GoalFactory()

    services.record_goal_progress(goal=goal, by=coordinator, progress=20)
    services.record_goal_progress(goal=goal, by=coordinator, progress=60)

    assert sorted(goal.progress_trail.values_list("progress", flat=True)) == [20, 60]


def test_achieved_goal_is_one_hundred_percent(coordinator):
    goal = GoalFactory(progress=30)

    entry = services.record_goal_progress(
        goal=goal, by=coordinator, status=GoalStatus.ACHIEVED, progress=80
    )

    goal.refresh_from_db()
    assert (goal.status, goal.progress) == (GoalStatus.ACHIEVED, 100)
    assert entry.progress == 100


def test_goal_owner_may_record_progress_of_own_goal(staff):
    goal = GoalFactory(owner=staff)

    services.record_goal_progress(goal=goal, by=staff, progress=50)

    goal.refresh_from_db()
    assert goal.progress == 50


def test_trustee_may_not_record_progress_of_someone_elses_goal(trustee, staff):
    goal = GoalFactory(owner=staff, progress=10)

    with pytest.raises(PermissionDenied):
        services.record_goal_progress(goal=goal, by=trustee, progress=90)

    goal.refresh_from_db()
    assert goal.progress == 10
    assert not GoalProgress.objects.exists()


def test_progress_over_one_hundred_percent_is_refused(coordinator):
    goal = GoalFactory(progress=10)

    with pytest.raises(ValidationError):
        services.record_goal_progress(goal=goal, by=coordinator, progress=150)

    goal.refresh_from_db()
    assert goal.progress == 10
    assert not GoalProgress.objects.exists()


# --- merge_contacts --------------------------------------------------------------------------


@pytest.fixture
def pair(trustee, other_trustee, staff):
    """A survivor and its duplicate with meetings (one shared), networks, positions, tags."""
    survivor = ContactFactory(
        first_name="Matti", last_name="Virtanen", email="matti.virtanen@eduskunta.fi", phone=""
    )
    duplicate = ContactFactory(
        first_name="Matti",
        last_name="Virtanen",
        email="matti@virtanen.fi",
        phone="+358 40 765 4321",
        tags=[TagFactory(name="kansanedustaja")],
        relationship_owners=[other_trustee],
    )
    shared_network, own_network = NetworkFactory(), NetworkFactory()
    NetworkMembershipFactory(network=shared_network, contact=survivor, role="puheenjohtaja")
    NetworkMembershipFactory(network=shared_network, contact=duplicate, role="jäsen")
    NetworkMembershipFactory(network=own_network, contact=duplicate)
    position = ContactPositionFactory(contact=duplicate, title="kaupunginvaltuutettu")
    meetings = {
        "survivor only": meet(trustee, survivor, when=at(2)),
        "duplicate only": meet(other_trustee, duplicate, when=at(9)),
        "both": meet(staff, survivor, duplicate, when=at(4)),
    }
    return {
        "survivor": survivor,
        "duplicate": duplicate,
        "meetings": meetings,
        "networks": {shared_network, own_network},
        "position": position,
    }


def test_merging_contacts_loses_no_meeting(pair, coordinator):
    survivor = services.merge_contacts(
        survivor=pair["survivor"], duplicate=pair["duplicate"], by=coordinator
    )

    assert set(Meeting.objects.with_contact(survivor)) == set(pair["meetings"].values())
    assert MeetingContact.objects.filter(meeting=pair["meetings"]["both"]).count() == 1


def test_merging_contacts_deletes_the_duplicate(pair, coordinator):
    services.merge_contacts(survivor=pair["survivor"], duplicate=pair["duplicate"], by=coordinator)

    assert list(Contact.objects.all()) == [pair["survivor"]]


def test_merging_contacts_moves_memberships_positions_tags_and_owners(
    pair, coordinator, other_trustee
):
    survivor = services.merge_contacts(
        survivor=pair["survivor"], duplicate=pair["duplicate"], by=coordinator
    )

    memberships = NetworkMembership.objects.filter(contact=survivor)
    assert {m.network for m in memberships} == pair["networks"]
    assert memberships.count() == 2
    # The survivor's own role in a network both were in is the one kept.
    assert "puheenjohtaja" in memberships.values_list("role", flat=True)
    assert list(ContactPosition.objects.filter(contact=survivor)) == [pair["position"]]
    assert list(survivor.tags.values_list("name", flat=True)) == ["kansanedustaja"]
    assert list(survivor.relationship_owners.all()) == [other_trustee]


def test_merging_contacts_recomputes_when_the_survivor_was_last_met(pair, coordinator):
    pair["survivor"].refresh_from_db()
    assert pair["survivor"].last_interaction_at == at(4)

    survivor = services.merge_contacts(
        survivor=pair["survivor"], duplicate=pair["duplicate"], by=coordinator
    )

    assert survivor.last_interaction_at == at(9)


def test_merging_contacts_fills_the_survivors_gaps_but_keeps_what_it_has(pair, coordinator):
    survivor = services.merge_contacts(
        survivor=pair["survivor"], duplicate=pair["duplicate"], by=coordinator
    )

    assert survivor.email == "matti.virtanen@eduskunta.fi"
    assert survivor.secondary_email == "matti@virtanen.fi"
    assert survivor.phone.as_e164 == "+358407654321"


def test_merging_contacts_moves_reminders_about_the_duplicate(pair, coordinator, trustee):
    reminder = ReminderFactory(
        kind=ReminderKind.STALE_CONTACT,
        follow_up=None,
        contact=pair["duplicate"],
        recipient=trustee,
        key="stale",
    )

    survivor = services.merge_contacts(
        survivor=pair["survivor"], duplicate=pair["duplicate"], by=coordinator
    )

    assert list(Reminder.objects.filter(contact=survivor)) == [reminder]


@pytest.mark.parametrize("who", ["trustee", "staff"])
def test_only_coordinator_or_admin_may_merge_contacts(pair, request, who):
    with pytest.raises(PermissionDenied):
        services.merge_contacts(
            survivor=pair["survivor"], duplicate=pair["duplicate"], by=request.getfixturevalue(who)
        )

    assert Contact.objects.count() == 2
    assert MeetingContact.objects.filter(contact=pair["duplicate"]).count() == 2


def test_contact_cannot_be_merged_with_itself(pair, coordinator):
    with pytest.raises(ValidationError):
        services.merge_contacts(
            survivor=pair["survivor"], duplicate=pair["survivor"], by=coordinator
        )

    assert Contact.objects.count() == 2


# --- anonymise_contact -----------------------------------------------------------------------


@pytest.fixture
def person(trustee, staff):
    """A contact with a past (a rename in her history), a position and two meetings."""
    contact = crm_services.create_contact(
        by=trustee,
        first_name="Liisa",
        last_name="Mäkinen",
        title="ylijohtaja",
        email="liisa.makinen@vm.fi",
        secondary_email="liisa@makinen.fi",
        phone="040 1112223",
        mobile_phone="+358 50 999 8887",
        notes="Puhuu mielellään Tervon kalastuksesta.",
    )
    contact.last_name = "Mäkinen-Laine"
    contact.save()
    ContactPositionFactory(contact=contact, title="neuvotteleva virkamies")
    meet(trustee, contact, when=at(3))
    meet(staff, contact, when=at(6), visibility=Visibility.RESTRICTED)
    return contact


TRACES = (
    "Liisa",
    "Mäkinen",
    "ylijohtaja",
    "neuvotteleva virkamies",
    "makinen",
    "1112223",
    "9998887",
    "kalastuksesta",
)


def traces_in(rows) -> list[str]:
    text = " ".join(str(model_to_dict(row)) for row in rows)
    return [trace for trace in TRACES if trace.lower() in text.lower()]


def test_anonymising_removes_the_identity(person, coordinator, now):
    crm_services.anonymise_contact(contact=person, by=coordinator)

    person.refresh_from_db()
    assert person.first_name == ""
    assert person.last_name != "Mäkinen-Laine" and person.last_name
    assert (person.email, person.secondary_email, person.title, person.notes) == ("", "", "", "")
    assert not person.phone and not person.mobile_phone
    assert person.anonymised_at == now
    assert person.archived_at == now
    assert traces_in([person]) == []


def test_anonymising_keeps_every_meeting_of_the_person(person, coordinator):
    crm_services.anonymise_contact(contact=person, by=coordinator)

    assert Meeting.objects.with_contact(person).count() == 2
    assert Meeting.objects.count() == 2


def test_anonymising_leaves_no_trace_of_the_identity_in_history(person, coordinator):
    ContactPositionEvent = apps.get_model("crm", "ContactPositionEvent")
    assert traces_in(ContactEvent.objects.filter(pgh_obj_id=person.pk))  # the test can fail

    crm_services.anonymise_contact(contact=person, by=coordinator)

    assert traces_in(ContactEvent.objects.filter(pgh_obj_id=person.pk)) == []
    assert traces_in(ContactPositionEvent.objects.filter(contact_id=person.pk)) == []
    assert traces_in(ContactPosition.objects.filter(contact=person)) == []


def test_anonymising_twice_changes_nothing_more(person, coordinator, time_machine):
    time_machine.move_to(at(10), tick=False)
    crm_services.anonymise_contact(contact=person, by=coordinator)
    events = ContactEvent.objects.filter(pgh_obj_id=person.pk).count()
    time_machine.move_to(at(11), tick=False)

    crm_services.anonymise_contact(contact=person, by=coordinator)

    person.refresh_from_db()
    assert person.anonymised_at == at(10)
    assert ContactEvent.objects.filter(pgh_obj_id=person.pk).count() == events


def test_anonymising_is_recorded_with_who_did_it(person, coordinator):
    crm_services.anonymise_contact(contact=person, by=coordinator)

    last = ContactEvent.objects.filter(pgh_obj_id=person.pk).latest("pgh_id")
    assert last.pgh_context.metadata == {"user": coordinator.pk, "action": "anonymise_contact"}


@pytest.mark.parametrize("who", ["trustee", "staff"])
def test_only_coordinator_or_admin_may_anonymise_a_contact(person, request, who):
    with pytest.raises(PermissionDenied):
        crm_services.anonymise_contact(contact=person, by=request.getfixturevalue(who))

    person.refresh_from_db()
    assert (person.last_name, person.anonymised_at) == ("Mäkinen-Laine", None)


def test_admin_may_anonymise_a_contact(person):
    admin = UserFactory(admin=True)

    crm_services.anonymise_contact(contact=person, by=admin)

    person.refresh_from_db()
    assert person.is_anonymised

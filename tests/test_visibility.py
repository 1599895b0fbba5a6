"""Who sees which meetings and follow-ups (DESIGN.md, "Who may see and do what").

joint: everyone signed in. municipality: users of the meeting's municipality and coordinators.
restricted: the author and the listed participants only. Follow-ups: visible with their meeting,
always when they belong to a goal only, and always to their assignee and creator.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from advocacy.models import (
    FollowUp,
    Meeting,
    MeetingContact,
    Viewer,
    Visibility,
    contact_meeting_stats,
    visibility_rule,
)
from crm.models import Role
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    GoalFactory,
    MeetingFactory,
    UserFactory,
    municipality,
)

pytestmark = pytest.mark.django_db

JOINT, MUNICIPALITY, RESTRICTED = Visibility.JOINT, Visibility.MUNICIPALITY, Visibility.RESTRICTED
SAME, OTHER = "same municipality as the author", "other municipality"

# Who, from where, sees a meeting of each visibility logged by a trustee of Tervo.
# The viewer is neither the author nor a listed participant.
MATRIX = {
    #  role               where    joint  municipality  restricted
    (Role.TRUSTEE, SAME): (True, True, False),
    (Role.TRUSTEE, OTHER): (True, False, False),
    (Role.STAFF, SAME): (True, True, False),
    (Role.STAFF, OTHER): (True, False, False),
    (Role.COORDINATOR, SAME): (True, True, False),
    (Role.COORDINATOR, OTHER): (True, True, False),
    (Role.ADMIN, SAME): (True, True, False),
    (Role.ADMIN, OTHER): (True, False, False),
}
CASES = [
    pytest.param(role, where, visibility, expected, id=f"{role}-{where}-{visibility}")
    for (role, where), row in MATRIX.items()
    for visibility, expected in zip((JOINT, MUNICIPALITY, RESTRICTED), row, strict=True)
]


@pytest.fixture
def viewer_of(tervo, keitele):
    def make(role: str, where: str):
        return UserFactory(role=role, municipality=tervo if where == SAME else keitele)

    return make


@pytest.mark.parametrize(("role", "where", "visibility", "expected"), CASES)
def test_meeting_visibility_matrix(trustee, viewer_of, role, where, visibility, expected):
    meeting = MeetingFactory(author=trustee, visibility=visibility)
    viewer = viewer_of(role, where)

    assert Meeting.objects.visible_to(viewer).filter(pk=meeting.pk).exists() is expected


@pytest.mark.parametrize(("role", "where", "visibility", "expected"), CASES)
def test_follow_up_visibility_matrix(trustee, viewer_of, role, where, visibility, expected):
    follow_up = FollowUpFactory(meeting=MeetingFactory(author=trustee, visibility=visibility))
    viewer = viewer_of(role, where)

    assert FollowUp.objects.visible_to(viewer).filter(pk=follow_up.pk).exists() is expected


@pytest.mark.parametrize(("role", "where", "visibility", "expected"), CASES)
def test_meeting_stats_matrix(trustee, viewer_of, role, where, visibility, expected):
    person, other = ContactFactory(), ContactFactory()
    meeting = MeetingFactory(author=trustee, visibility=visibility, contacts=[person])
    viewer = viewer_of(role, where)

    stats = contact_meeting_stats(viewer, [person.pk, other.pk])

    seen = {"count": 1, "latest": meeting.occurred_at}
    assert stats == {
        person.pk: seen if expected else {"count": 0, "latest": None},
        other.pk: {
            "count": 0,
            "latest": None,
        },
    }


# --- Meetings: the cases around the matrix ---------------------------------------------------


@pytest.fixture
def meetings_of_trustee(trustee):
    """One meeting of each visibility, logged by the Tervo trustee."""
    return {
        v: MeetingFactory(author=trustee, visibility=v) for v in (JOINT, MUNICIPALITY, RESTRICTED)
    }


def test_author_sees_all_her_own_meetings(trustee, meetings_of_trustee):
    assert set(Meeting.objects.visible_to(trustee)) == set(meetings_of_trustee.values())


def test_author_who_moved_to_another_municipality_still_sees_her_meetings(
    trustee, keitele, meetings_of_trustee
):
    trustee.municipality = keitele
    trustee.save()

    assert set(Meeting.objects.visible_to(trustee)) == set(meetings_of_trustee.values())


def test_municipality_meeting_stays_with_municipality_where_it_was_logged(
    trustee, staff, other_trustee, keitele, meetings_of_trustee
):
    trustee.municipality = keitele
    trustee.save()
    municipality_meeting = meetings_of_trustee[MUNICIPALITY]

    assert Meeting.objects.visible_to(staff).filter(pk=municipality_meeting.pk).exists()
    assert not Meeting.objects.visible_to(other_trustee).filter(pk=municipality_meeting.pk).exists()


def test_listed_participant_from_other_municipality_sees_restricted_meeting(trustee, other_trustee):
    meeting = MeetingFactory(
        author=trustee, visibility=RESTRICTED, our_participants=[trustee, other_trustee]
    )

    assert list(Meeting.objects.visible_to(other_trustee)) == [meeting]


def test_colleague_not_listed_does_not_see_restricted_meeting(trustee, staff, other_trustee):
    MeetingFactory(author=trustee, visibility=RESTRICTED, our_participants=[other_trustee])

    assert not Meeting.objects.visible_to(staff).exists()


def test_coordinator_does_not_see_restricted_meeting_she_is_not_in(coordinator, trustee):
    MeetingFactory(author=trustee, visibility=RESTRICTED, our_participants=[trustee])

    assert not Meeting.objects.visible_to(coordinator).exists()


def test_coordinator_of_joint_organisation_sees_municipality_meetings_of_every_municipality(
    coordinator, trustee, other_trustee
):
    tervo_meeting = MeetingFactory(author=trustee, visibility=MUNICIPALITY)
    keitele_meeting = MeetingFactory(author=other_trustee, visibility=MUNICIPALITY)

    assert set(Meeting.objects.visible_to(coordinator)) == {tervo_meeting, keitele_meeting}


def test_user_without_municipality_sees_joint_meetings_only(admin_role_user, meetings_of_trustee):
    assert list(Meeting.objects.visible_to(admin_role_user)) == [meetings_of_trustee[JOINT]]


def test_inactive_user_sees_nothing_not_even_own_meetings(trustee, meetings_of_trustee):
    trustee.is_active = False
    trustee.save()

    assert not Meeting.objects.visible_to(trustee).exists()


@pytest.mark.parametrize("nobody", [AnonymousUser(), None], ids=["anonymous", "none"])
def test_anonymous_visitor_sees_no_meeting(nobody, meetings_of_trustee):
    assert not Meeting.objects.visible_to(nobody).exists()


def test_meeting_with_several_of_our_participants_is_listed_once(trustee, staff):
    meeting = MeetingFactory(
        author=trustee, visibility=RESTRICTED, our_participants=[trustee, staff]
    )

    assert list(Meeting.objects.visible_to(trustee)) == [meeting]


# --- Follow-ups: the cases around the matrix -------------------------------------------------


def test_follow_up_of_goal_is_visible_to_everyone_signed_in(coordinator, admin_role_user, staff):
    follow_up = FollowUpFactory(meeting=None, goal=GoalFactory(), assignee=coordinator)

    for user in (admin_role_user, staff):
        assert list(FollowUp.objects.visible_to(user)) == [follow_up]


def test_assignee_sees_follow_up_of_restricted_meeting_she_cannot_see(trustee, other_trustee):
    meeting = MeetingFactory(author=trustee, visibility=RESTRICTED)
    follow_up = FollowUpFactory(meeting=meeting, assignee=other_trustee, created_by=trustee)

    assert not Meeting.objects.visible_to(other_trustee).exists()
    assert list(FollowUp.objects.visible_to(other_trustee)) == [follow_up]


def test_creator_sees_follow_up_she_made_on_meeting_she_cannot_see(trustee, staff, other_trustee):
    meeting = MeetingFactory(author=trustee, visibility=RESTRICTED, our_participants=[staff])
    follow_up = FollowUpFactory(meeting=meeting, assignee=trustee, created_by=other_trustee)

    assert list(FollowUp.objects.visible_to(other_trustee)) == [follow_up]


def test_coordinator_does_not_see_follow_up_of_restricted_meeting_she_is_not_in(
    coordinator, trustee
):
    FollowUpFactory(meeting=MeetingFactory(author=trustee, visibility=RESTRICTED))

    assert not FollowUp.objects.visible_to(coordinator).exists()


def test_inactive_assignee_sees_no_follow_up(trustee):
    FollowUpFactory(meeting=MeetingFactory(author=trustee), assignee=trustee)
    trustee.is_active = False
    trustee.save()

    assert not FollowUp.objects.visible_to(trustee).exists()


@pytest.mark.parametrize("nobody", [AnonymousUser(), None], ids=["anonymous", "none"])
def test_anonymous_visitor_sees_no_follow_up(nobody, coordinator):
    FollowUpFactory(meeting=None, goal=GoalFactory(), assignee=coordinator)

    assert not FollowUp.objects.visible_to(nobody).exists()


# --- The rule reads the user through its Viewer ----------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: UserFactory(trustee=True, municipality=municipality("Tervo")),
        lambda: UserFactory(coordinator=True),
        lambda: UserFactory(admin=True),
    ],
    ids=["of a municipality", "coordinator", "of no municipality"],
)
def test_the_rule_reads_nothing_of_the_user_but_its_viewer(db, make):
    """So the SQL compiled for a Viewer (contact_meeting_stats) holds for its user: a rule
    that read anything else of the user would fail here on the Viewer."""
    user = make()

    def sql(who):
        rule = visibility_rule(who, prefix="meeting_", meeting="meeting_id")
        return str(MeetingContact.objects.filter(rule).query)

    assert sql(Viewer.of(user)) == sql(user)


def test_meeting_stats_follow_a_change_of_municipality_and_role(trustee, staff, keitele):
    person = ContactFactory()
    MeetingFactory(author=trustee, visibility=MUNICIPALITY, contacts=[person])
    assert contact_meeting_stats(staff, [person.pk])[person.pk]["count"] == 1

    staff.municipality = keitele
    staff.save()
    assert contact_meeting_stats(staff, [person.pk])[person.pk]["count"] == 0

    staff.role = Role.COORDINATOR
    staff.save()
    assert contact_meeting_stats(staff, [person.pk])[person.pk]["count"] == 1


def test_meeting_stats_count_the_authors_and_participants_restricted_meetings(
    trustee, staff, other_trustee
):
    person = ContactFactory()
    MeetingFactory(author=trustee, visibility=RESTRICTED, contacts=[person])
    MeetingFactory(
        author=trustee, visibility=RESTRICTED, contacts=[person], our_participants=[other_trustee]
    )

    counts = {
        user.username: contact_meeting_stats(user, [person.pk])[person.pk]["count"]
        for user in (trustee, other_trustee, staff)
    }
    assert counts == {trustee.username: 2, other_trustee.username: 1, staff.username: 0}


def test_meeting_stats_are_the_scopes_count_and_latest(trustee, staff, other_trustee):
    people = ContactFactory.create_batch(3)
    for n, visibility in enumerate((JOINT, MUNICIPALITY, RESTRICTED, JOINT)):
        MeetingFactory(author=trustee, visibility=visibility, contacts=people[: n % 3 + 1])
    ids = [person.pk for person in people]

    for user in (trustee, staff, other_trustee):
        scope = MeetingContact.objects.visible_to(user)
        expected = {
            person.pk: {
                "count": scope.filter(contact=person).count(),
                "latest": max(
                    scope.filter(contact=person).values_list("meeting_occurred_at", flat=True),
                    default=None,
                ),
            }
            for person in people
        }
        assert contact_meeting_stats(user, ids) == expected, user.username


@pytest.mark.parametrize("nobody", [AnonymousUser(), None], ids=["anonymous", "none"])
def test_meeting_stats_of_no_one_are_zero(nobody, trustee):
    person = ContactFactory()
    MeetingFactory(author=trustee, contacts=[person])

    assert contact_meeting_stats(nobody, [person.pk]) == {person.pk: {"count": 0, "latest": None}}


def test_meeting_stats_of_an_inactive_user_are_zero(trustee):
    person = ContactFactory()
    MeetingFactory(author=trustee, contacts=[person])
    trustee.is_active = False
    trustee.save()

    assert contact_meeting_stats(trustee, [person.pk])[person.pk]["count"] == 0

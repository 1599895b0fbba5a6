"""The participant rows' copies of their meeting (MeetingContact, MEETING_COPIED_COLUMNS).

A contact's meeting count and last meeting, as a user may see them, are read off the contact's
own participant rows: each carries its meeting's time, visibility, municipality and author,
kept by the database. These tests hold the copies to the meetings and the rule over them to
the rule over the meetings (tests/test_visibility.py).
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from advocacy.models import MEETING_COPIED_COLUMNS, Meeting, MeetingContact, Visibility
from tests.factories import ContactFactory, MeetingFactory, UserFactory
from tests.locking import assert_waits_for_lock
from tests.test_visibility import CASES, SAME

pytestmark = pytest.mark.django_db


def copies(meeting: Meeting) -> set[tuple]:
    """The copies held by each participant row of the meeting."""
    return set(MeetingContact.objects.filter(meeting=meeting).values_list(*MEETING_COPIED_COLUMNS))


def meeting_values(meeting: Meeting) -> tuple:
    meeting.refresh_from_db()
    return tuple(getattr(meeting, column) for column in MEETING_COPIED_COLUMNS.values())


@pytest.mark.parametrize(("role", "where", "visibility", "expected"), CASES)
def test_the_rule_over_the_copies_is_the_rule_over_the_meetings(
    trustee, tervo, keitele, role, where, visibility, expected
):
    meeting = MeetingFactory(
        author=trustee, visibility=visibility, contacts=[ContactFactory(), ContactFactory()]
    )
    viewer = UserFactory(role=role, municipality=tervo if where == SAME else keitele)

    seen = MeetingContact.objects.visible_to(viewer).filter(meeting=meeting)

    assert seen.count() == (2 if expected else 0)


def test_the_author_and_listed_participants_see_the_rows_of_a_restricted_meeting(
    trustee, other_trustee, staff
):
    meeting = MeetingFactory(
        author=trustee,
        visibility=Visibility.RESTRICTED,
        our_participants=[other_trustee],
        contacts=[ContactFactory()],
    )

    for user, sees in ((trustee, True), (other_trustee, True), (staff, False)):
        rows = MeetingContact.objects.visible_to(user).filter(meeting=meeting)
        assert rows.exists() is sees, user
    other_trustee.is_active = False
    assert not MeetingContact.objects.visible_to(other_trustee).exists()


def test_a_new_participant_row_copies_its_meeting(trustee):
    meeting = MeetingFactory(author=trustee, visibility=Visibility.MUNICIPALITY)
    meeting.contacts.add(ContactFactory())  # after the meeting was saved

    assert copies(meeting) == {meeting_values(meeting)}
    assert copies(meeting) == {
        (meeting.occurred_at, Visibility.MUNICIPALITY, trustee.municipality_id, trustee.pk)
    }


def test_the_copies_follow_each_change_of_the_meeting_and_nothing_else(
    trustee, other_trustee, keitele
):
    meeting = MeetingFactory(author=trustee, contacts=[ContactFactory(), ContactFactory()])
    events = MeetingContact.pgh_event_model.objects.count()

    meeting.visibility = Visibility.RESTRICTED
    meeting.occurred_at = timezone.now() - datetime.timedelta(days=40)
    meeting.save()
    assert copies(meeting) == {meeting_values(meeting)}

    Meeting.objects.filter(pk=meeting.pk).update(author=other_trustee, municipality=keitele)
    assert copies(meeting) == {
        (meeting.occurred_at, Visibility.RESTRICTED, keitele.pk, other_trustee.pk)
    }

    # The copies are the meeting's: the participants' history records none of this.
    Meeting.objects.filter(pk=meeting.pk).update(title="Uusi otsikko")
    assert MeetingContact.pgh_event_model.objects.count() == events


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_added_while_the_meeting_changes_gets_the_changed_values(trustee, coordinator):
    """The insert reads the meeting under a share lock: it waits for a change in progress and
    copies what was committed. Without the lock it would copy the old visibility, and the
    change's own rewrite of the rows would not see the new row: a count off by a restricted
    meeting, for good."""
    meeting = MeetingFactory(author=trustee, visibility=Visibility.JOINT)
    person = ContactFactory()
    assert_waits_for_lock(
        hold=lambda: Meeting.objects.filter(pk=meeting.pk).update(visibility=Visibility.RESTRICTED),
        waiter=lambda: MeetingContact.objects.create(meeting_id=meeting.pk, contact=person),
        message="the insert should wait for the meeting's change",
    )

    assert copies(meeting) == {meeting_values(meeting)}
    assert meeting.visibility == Visibility.RESTRICTED
    assert not MeetingContact.objects.visible_to(coordinator).filter(meeting=meeting).exists()

"""Write paths of advocacy: logging meetings, follow-ups, goals, merging contacts.

Every service is keyword-only, runs in one transaction, checks the rules of `advocacy.rules`,
records the acting user in the history context, and leaves side effects for after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Contact, Organisation, User
from crm.rules import can_merge_contacts

from . import rules
from .models import (
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalProgress,
    GoalStatus,
    Meeting,
    MeetingContact,
    MeetingKind,
    Notification,
    Reminder,
    ReminderState,
    Topic,
    Visibility,
)


@dataclass(frozen=True)
class NewContact:
    """A participant met for the first time, created while logging the meeting."""

    last_name: str
    first_name: str = ""
    title: str = ""
    organisation: Organisation | None = None
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class NewFollowUp:
    description: str
    assignee: User
    due_date: datetime.date


def _history(user: User, action: str) -> pghistory.context:
    return pghistory.context(user=user.pk, action=action)


@transaction.atomic
def log_meeting(
    *,
    author: User,
    title: str,
    occurred_at: datetime.datetime | None = None,
    kind: str = MeetingKind.IN_PERSON,
    place: str = "",
    notes: str = "",
    outcomes: str = "",
    visibility: str = Visibility.JOINT,
    contacts: Iterable[Contact] = (),
    new_contacts: Sequence[NewContact] = (),
    our_participants: Iterable[User] = (),
    organisations: Iterable[Organisation] = (),
    topics: Iterable[Topic] = (),
    goals: Iterable[Goal] = (),
    follow_ups: Sequence[NewFollowUp] = (),
) -> Meeting:
    """Log a whole meeting in one go: the meeting, its participants (existing or new contacts),
    topics and goals, and its follow-ups. All or nothing.

    The contacts' organisations are linked too, and each contact's `last_interaction_at` is kept
    true. A goal's topic is linked with the goal.
    """
    if not rules.can_log_meetings(author):
        raise PermissionDenied(_("You may not log meetings."))
    with _history(author, "log_meeting"):
        meeting = Meeting(
            author=author,
            municipality_id=author.municipality_id,
            title=title.strip(),
            occurred_at=occurred_at or timezone.now(),
            kind=kind,
            place=place,
            notes=notes,
            outcomes=outcomes,
            visibility=visibility,
        )
        meeting.full_clean(exclude=["author", "municipality"])
        meeting.save()

        participants = {c.pk: c for c in contacts}
        for spec in new_contacts:
            contact = crm_services.create_contact(
                by=author,
                last_name=spec.last_name,
                first_name=spec.first_name,
                title=spec.title,
                organisation=spec.organisation,
                email=spec.email,
                phone=spec.phone,
            )
            participants[contact.pk] = contact
        _link_contacts(meeting, participants.values())

        goals = list(goals)
        meeting.topics.set({t.pk for t in topics} | {g.topic_id for g in goals})
        meeting.goals.set(goals)
        meeting.our_participants.set({u.pk for u in our_participants} | {author.pk})
        meeting.organisations.set(
            {o.pk for o in organisations}
            | {c.organisation_id for c in participants.values() if c.organisation_id}
        )
        for spec in follow_ups:
            _create_follow_up(by=author, meeting=meeting, spec=spec)
    return meeting


def _link_contacts(meeting: Meeting, contacts: Iterable[Contact]) -> None:
    MeetingContact.objects.bulk_create(
        [MeetingContact(meeting=meeting, contact=c) for c in contacts], ignore_conflicts=True
    )
    refresh_last_interaction(meeting.contact_links.values("contact_id"))


def refresh_last_interaction(contact_ids) -> int:
    """Recompute `last_interaction_at` of the given contacts from their meetings (one UPDATE).

    `contact_ids` may be a list or a values() subquery. Counts every meeting, whatever its
    visibility: the reminders need to know that *someone* met the person.
    """
    latest = (
        MeetingContact.objects.filter(contact_id=OuterRef("pk"))
        .order_by("-meeting__occurred_at")
        .values("meeting__occurred_at")[:1]
    )
    return Contact.objects.filter(pk__in=contact_ids).update(last_interaction_at=Subquery(latest))


@transaction.atomic
def update_meeting(*, meeting: Meeting, by: User, **changes) -> Meeting:
    """Change a meeting's own fields (not its links) under the edit rule."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not rules.can_edit_meeting(by, meeting):
        raise PermissionDenied(_("You may not edit this meeting."))
    for name, value in changes.items():
        setattr(meeting, name, value)
    meeting.full_clean(exclude=["author", "municipality"])
    with _history(by, "update_meeting"):
        meeting.save()
        if "occurred_at" in changes:
            refresh_last_interaction(meeting.contact_links.values("contact_id"))
    return meeting


# --- Follow-ups ------------------------------------------------------------------------------


def _create_follow_up(
    *, by: User, spec: NewFollowUp, meeting: Meeting | None = None, goal: Goal | None = None
) -> FollowUp:
    follow_up = FollowUp(
        meeting=meeting,
        goal=goal,
        description=spec.description.strip(),
        assignee=spec.assignee,
        due_date=spec.due_date,
        created_by=by,
    )
    follow_up.full_clean()
    follow_up.save()
    return follow_up


@transaction.atomic
def add_follow_up(
    *,
    by: User,
    description: str,
    assignee: User,
    due_date: datetime.date,
    meeting: Meeting | None = None,
    goal: Goal | None = None,
) -> FollowUp:
    if not rules.can_create_follow_ups(by):
        raise PermissionDenied(_("You may not create follow-ups."))
    if meeting is not None and not Meeting.objects.visible_to(by).filter(pk=meeting.pk).exists():
        raise PermissionDenied(_("You may not add follow-ups to this meeting."))
    with _history(by, "add_follow_up"):
        return _create_follow_up(
            by=by,
            meeting=meeting,
            goal=goal,
            spec=NewFollowUp(description=description, assignee=assignee, due_date=due_date),
        )


def _close_follow_up(*, follow_up: FollowUp, by: User, note: str, status: str) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not rules.can_edit_follow_up(by, follow_up):
        raise PermissionDenied(_("You may not change this follow-up."))
    if follow_up.status != FollowUpStatus.OPEN:
        if follow_up.status == status:
            return follow_up  # done twice is done once
        raise ValidationError(_("This follow-up is already closed."))
    follow_up.status = status
    follow_up.completion_note = note
    follow_up.completed_at = timezone.now()
    follow_up.completed_by = by
    with _history(by, f"{status}_follow_up"):
        follow_up.save(
            update_fields=[
                "status",
                "completion_note",
                "completed_at",
                "completed_by",
                "updated_at",
            ]
        )
        # Nothing more to remind anyone of.
        follow_up.reminders.filter(state=ReminderState.PENDING).update(
            state=ReminderState.CANCELLED
        )
    return follow_up


@transaction.atomic
def complete_follow_up(*, follow_up: FollowUp, by: User, note: str = "") -> FollowUp:
    return _close_follow_up(follow_up=follow_up, by=by, note=note, status=FollowUpStatus.DONE)


@transaction.atomic
def cancel_follow_up(*, follow_up: FollowUp, by: User, note: str = "") -> FollowUp:
    return _close_follow_up(follow_up=follow_up, by=by, note=note, status=FollowUpStatus.CANCELLED)


@transaction.atomic
def update_follow_up(
    *,
    follow_up: FollowUp,
    by: User,
    description: str | None = None,
    assignee: User | None = None,
    due_date: datetime.date | None = None,
) -> FollowUp:
    """Re-date, reassign or reword an open follow-up."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not rules.can_edit_follow_up(by, follow_up):
        raise PermissionDenied(_("You may not change this follow-up."))
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError(_("A closed follow-up cannot be changed."))
    if description is not None:
        follow_up.description = description.strip()
    if assignee is not None:
        follow_up.assignee = assignee
    if due_date is not None:
        follow_up.due_date = due_date
    follow_up.full_clean()
    with _history(by, "update_follow_up"):
        follow_up.save()
    return follow_up


# --- Goals -----------------------------------------------------------------------------------


@transaction.atomic
def record_goal_progress(
    *,
    goal: Goal,
    by: User,
    status: str | None = None,
    progress: int | None = None,
    note: str = "",
) -> GoalProgress:
    """Move a goal's status or progress and add an entry to its progress trail."""
    if not rules.can_edit_topics_and_goals(by) and goal.owner_id != by.pk:
        raise PermissionDenied(_("You may not change this goal."))
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if status is not None:
        goal.status = status
    if progress is not None:
        goal.progress = progress
    if goal.status == GoalStatus.ACHIEVED:
        goal.progress = 100
    goal.full_clean()
    with _history(by, "record_goal_progress"):
        goal.save(update_fields=["status", "progress", "updated_at"])
        return GoalProgress.objects.create(
            goal=goal, author=by, status=goal.status, progress=goal.progress, note=note
        )


# --- Contacts across both apps ---------------------------------------------------------------


def _move_reminders(duplicate: Contact, survivor: Contact) -> None:
    """Reminders about the duplicate become the survivor's, unless the same plan exists there."""
    same_plan = Reminder.objects.filter(
        contact=survivor,
        kind=OuterRef("kind"),
        recipient_id=OuterRef("recipient_id"),
        channel=OuterRef("channel"),
        key=OuterRef("key"),
    )
    duplicate.reminders.filter(Exists(same_plan)).delete()
    duplicate.reminders.update(contact=survivor)


@transaction.atomic
def merge_contacts(*, survivor: Contact, duplicate: Contact, by: User) -> Contact:
    """Merge a duplicate contact into the survivor; nothing is lost.

    Every meeting, membership, position, tag, owner and reminder of the duplicate moves to the
    survivor (a meeting both attended keeps one participant row); empty fields of the survivor
    are filled from the duplicate; the duplicate is then deleted.
    """
    if not can_merge_contacts(by):
        raise PermissionDenied(_("You may not merge contacts."))
    # Lock both rows in id order so that two merges of the same pair cannot deadlock.
    locked = {
        c.pk: c
        for c in Contact.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    if survivor.pk not in locked or duplicate.pk not in locked:
        raise ValidationError(_("The contact no longer exists."))
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    with _history(by, "merge_contacts"):
        crm_services.merge_contact_records(survivor=survivor, duplicate=duplicate)
        shared = MeetingContact.objects.filter(contact=survivor).values("meeting_id")
        duplicate.meeting_links.exclude(meeting_id__in=shared).update(contact=survivor)
        duplicate.meeting_links.all().delete()
        _move_reminders(duplicate, survivor)
        duplicate.delete()
        refresh_last_interaction([survivor.pk])
    survivor.refresh_from_db()
    return survivor


# --- Topics, goals and joint positions from the web UI ---------------------------------------


def _check_topic_editor(by: User) -> None:
    if not rules.can_edit_topics_and_goals(by):
        raise PermissionDenied(_("You may not edit topics and goals."))


def _save_with_m2m(obj, *, by: User, action: str, fields: dict, m2m_names: tuple[str, ...]):
    m2m = {name: fields.pop(name) for name in m2m_names if name in fields}
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    with _history(by, action):
        obj.save()
        for name, values in m2m.items():
            getattr(obj, name).set(values)
    return obj


@transaction.atomic
def create_topic(*, by: User, **fields) -> Topic:
    _check_topic_editor(by)
    return _save_with_m2m(
        Topic(), by=by, action="create_topic", fields=fields, m2m_names=("municipalities", "tags")
    )


@transaction.atomic
def update_topic(*, topic: Topic, by: User, **fields) -> Topic:
    _check_topic_editor(by)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    return _save_with_m2m(
        topic, by=by, action="update_topic", fields=fields, m2m_names=("municipalities", "tags")
    )


@transaction.atomic
def create_goal(*, by: User, **fields) -> Goal:
    """A new goal; its first progress entry records where it starts."""
    _check_topic_editor(by)
    goal = _save_with_m2m(Goal(), by=by, action="create_goal", fields=fields, m2m_names=())
    GoalProgress.objects.create(
        goal=goal, author=by, status=goal.status, progress=goal.progress, note=""
    )
    return goal


@transaction.atomic
def update_goal(*, goal: Goal, by: User, **fields) -> Goal:
    """Change a goal's description fields; status and progress go through
    `record_goal_progress` so the trail stays complete."""
    _check_topic_editor(by)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    fields.pop("status", None)
    fields.pop("progress", None)
    return _save_with_m2m(goal, by=by, action="update_goal", fields=fields, m2m_names=())


@transaction.atomic
def record_endorsement(
    *,
    goal: Goal,
    municipality,
    by: User,
    state: str,
    deciding_body: str = "",
    decision_date: datetime.date | None = None,
    minutes_reference: str = "",
) -> GoalEndorsement:
    """Record one municipality's position on a joint goal (one row per municipality)."""
    _check_topic_editor(by)
    endorsement = (
        GoalEndorsement.objects.select_for_update()
        .filter(goal=goal, municipality=municipality)
        .first()
    ) or GoalEndorsement(goal=goal, municipality=municipality)
    endorsement.state = state
    endorsement.deciding_body = deciding_body.strip()
    endorsement.decision_date = decision_date
    endorsement.minutes_reference = minutes_reference.strip()
    endorsement.full_clean()
    with _history(by, "record_endorsement"):
        endorsement.save()
    return endorsement


# --- In-app notifications --------------------------------------------------------------------


def mark_notification_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of the user's own notifications read (once; reading again changes nothing)."""
    if notification.recipient_id != by.pk:
        raise PermissionDenied(_("This notification is not yours."))
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())

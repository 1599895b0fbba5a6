"""Write paths of advocacy: logging meetings, follow-ups, goals, merging contacts.

Every service is keyword-only, runs in one transaction, checks the rules of `advocacy.rules`,
records the acting user in the history context, and leaves side effects for after commit.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField, Exists, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Contact, Municipality, Organisation, Tag, User
from crm.rules import can_merge_contacts
from crm.versioning import bump_version, check_version

from . import mail, reminders, rules
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
    NotificationPreference,
    OutboxEmail,
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
    hold_links: bool = False,
) -> Meeting:
    """Log a whole meeting in one go: the meeting, its participants (existing or new contacts),
    topics and goals, and its follow-ups. All or nothing.

    The contacts' organisations are linked too, and each contact's `last_interaction_at` is kept
    true. A goal's topic is linked with the goal.

    The most frequent write of the product, so its queries do not grow with the number of
    participants (new or known), links or follow-ups: one insert per kind of row.

    `hold_links`: the meeting returned holds the rows it was linked with, as
    `Meeting.objects.for_detail()` would prefetch them, so that showing it at once (the API's
    response) reads nothing again. Its relations then do not see later changes, as with any
    prefetched rows.
    """
    if not rules.can_log_meetings(author):
        raise PermissionDenied(_("You may not log meetings."))
    contacts = list(contacts)
    _refuse_anonymised(contacts)
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
    # The fields' own validation (choices, a title) covers each CHECK constraint of a new
    # meeting; validating the constraints again would cost three queries each, and the database
    # enforces them anyway.
    meeting.full_clean(exclude=["author", "municipality"], validate_constraints=False)
    with _history(author, "log_meeting"):
        meeting.save()

        participants = {c.pk: c for c in contacts}
        met_first = crm_services.create_contacts(
            by=author,
            contacts=[
                {field.name: getattr(spec, field.name) for field in dataclasses.fields(spec)}
                for spec in new_contacts
            ],
        )
        participants.update((contact.pk, contact) for contact in met_first)
        new_follow_ups = _new_follow_ups(by=author, specs=follow_ups, meeting=meeting)
        MeetingContact.objects.bulk_create(
            [MeetingContact(meeting=meeting, contact=c) for c in participants.values()]
        )

        goals = list(goals)
        topics = {t.pk: t for t in topics}
        users = {u.pk: u for u in our_participants} | {author.pk: author}
        organisations = {o.pk: o for o in organisations}
        # A new meeting has no links yet: add() is one insert per relation (set() reads first).
        meeting.topics.add(*(topics.keys() | {g.topic_id for g in goals}))
        meeting.goals.add(*goals)
        meeting.our_participants.add(*users)
        meeting.organisations.add(
            *(organisations.keys() | {c.organisation_id for c in participants.values()} - {None})
        )

        FollowUp.objects.bulk_create(new_follow_ups)
        reminders.plan_new_follow_ups_reminders(new_follow_ups)

        # Last: these UPDATEs lock the participants' rows until the commit, and meetings logged
        # at the same time with the same people wait for each other here.
        _met(meeting, list(participants))
    if hold_links:
        _hold_links(
            meeting,
            contacts=participants.values(),
            users=users.values(),
            organisations=organisations,
            topics=topics,
            goals=goals,
            follow_ups=new_follow_ups,
        )
    return meeting


def _refuse_anonymised(contacts: Iterable[Contact]) -> None:
    if any(contact.anonymised_at is not None for contact in contacts):
        raise ValidationError(
            {"contacts": [_("An anonymised contact cannot be added to a meeting.")]}
        )


def _new_follow_ups(*, by: User, specs: Sequence[NewFollowUp], meeting: Meeting) -> list[FollowUp]:
    """The new meeting's follow-ups, validated and not yet saved (no query)."""
    follow_ups = []
    for number, spec in enumerate(specs, start=1):
        try:
            follow_up = _follow_up(by=by, spec=spec, meeting=meeting)
            # The fields' own validation (choices, a description) covers the CHECK constraints
            # of an open follow-up of a meeting, and the rows it refers to are in hand.
            follow_up.full_clean(
                exclude=["meeting", "goal", "assignee", "created_by"], validate_constraints=False
            )
            follow_ups.append(follow_up)
        except ValidationError as error:
            # Say which follow-up is wrong; the whole meeting is rolled back.
            raise ValidationError(
                {
                    "follow_ups": [
                        _("Follow-up %(number)s: %(message)s")
                        % {"number": number, "message": message}
                        for message in error.messages
                    ]
                }
            ) from error
    return follow_ups


def _met(meeting: Meeting, contact_ids: list[int]) -> None:
    """The meeting's contacts were met: their "last met" moves, the stale clock restarts.

    A new meeting can only move `last_interaction_at` forward, so one UPDATE of the contacts it
    moves does it, with no look at their other meetings (`refresh_last_interaction`).
    """
    if not contact_ids:
        return
    occurred_at = Value(meeting.occurred_at, output_field=DateTimeField())
    Contact.objects.filter(
        Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=occurred_at),
        pk__in=contact_ids,
    ).update(last_interaction_at=occurred_at)
    # Pending "not met lately" alerts are void; the periodic planning brings back any that
    # still hold (an old meeting logged late).
    reminders.cancel_stale_contact_alerts(contact_ids)


def _hold_links(
    meeting: Meeting,
    *,
    contacts: Iterable[Contact],
    users: Iterable[User],
    organisations: dict[int, Organisation],
    topics: dict[int, Topic],
    goals: list[Goal],
    follow_ups: list[FollowUp],
) -> None:
    """Give the new meeting the rows it was just linked with, as prefetched relations in
    `for_detail()`'s order, so that showing it reads nothing again.

    A relation whose rows are not all in hand (a contact's organisation or a goal's topic that
    was not fetched with it) is left out; reading it then costs its one query.
    """
    contacts = list(contacts)
    held = {
        "contacts": contacts,
        "our_participants": list(users),
        "goals": goals,
        "follow_ups": follow_ups,
    }
    for contact in contacts:
        if contact.organisation_id and contact.organisation_id not in organisations:
            if not Contact.organisation.is_cached(contact):
                break
            organisations[contact.organisation_id] = contact.organisation
    else:
        held["organisations"] = list(organisations.values())
    for goal in goals:
        if goal.topic_id not in topics:
            if not Goal.topic.is_cached(goal):
                break
            topics[goal.topic_id] = goal.topic
    else:
        held["topics"] = list(topics.values())
    orderings = {
        "contacts": ("last_name", "first_name", "id"),
        "follow_ups": ("due_date", "id"),
    }
    meeting._prefetched_objects_cache = {}
    for name, rows in held.items():
        # What prefetch_related() leaves: the relation's queryset with its rows in it.
        queryset = getattr(meeting, name).get_queryset()
        queryset._result_cache = _in_order(rows, orderings.get(name, queryset.model._meta.ordering))
        queryset._prefetch_done = True
        meeting._prefetched_objects_cache[name] = queryset


def _in_order(rows: list, ordering: Sequence[str]) -> list:
    """`rows` sorted as PostgreSQL sorts them by `ordering` (field names, "-" for descending,
    NULLs last when ascending and first when descending). Text compares by code point, as the
    C collation does."""
    rows = list(rows)
    for term in reversed(ordering):
        name = term.lstrip("-")
        rows.sort(
            key=lambda row: (getattr(row, name) is None, getattr(row, name)),
            reverse=term.startswith("-"),
        )
    return rows


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


MEETING_EDITABLE_FIELDS = frozenset(
    {"occurred_at", "kind", "title", "place", "notes", "outcomes", "visibility"}
)


@transaction.atomic
def update_meeting(
    *,
    meeting: Meeting,
    by: User,
    expected_version: int | None = None,
    contacts: Iterable[Contact] | None = None,
    our_participants: Iterable[User] | None = None,
    organisations: Iterable[Organisation] | None = None,
    topics: Iterable[Topic] | None = None,
    goals: Iterable[Goal] | None = None,
    **changes: Any,
) -> Meeting:
    """Change a meeting's fields and, for each link given, replace that link set.

    Links keep log_meeting's rules: the author stays one of our participants, a goal's topic
    is linked with the goal, and the participants' organisations are linked. Raises
    `crm.versioning.VersionConflict` when `expected_version` is not the current one.
    """
    unknown = set(changes) - MEETING_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_meeting() cannot change {sorted(unknown)}")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not rules.can_edit_meeting(by, meeting):
        raise PermissionDenied(_("You may not edit this meeting."))
    check_version(meeting, expected_version)
    for name, value in changes.items():
        setattr(meeting, name, value.strip() if name == "title" else value)
    meeting.full_clean(exclude=["author", "municipality"])
    bump_version(meeting)
    with _history(by, "update_meeting"):
        meeting.save()
        touched_contacts = set()
        if contacts is not None:
            contacts = list(contacts)
            new_ids = {c.pk for c in contacts}
            old_ids = set(meeting.contact_links.values_list("contact_id", flat=True))
            _refuse_anonymised(c for c in contacts if c.pk not in old_ids)
            meeting.contact_links.exclude(contact_id__in=new_ids).delete()
            MeetingContact.objects.bulk_create(
                [MeetingContact(meeting=meeting, contact=c) for c in contacts],
                ignore_conflicts=True,
            )
            touched_contacts = old_ids | new_ids
            contact_organisations = {c.organisation_id for c in contacts if c.organisation_id}
            if organisations is None:
                meeting.organisations.add(*contact_organisations)
        if organisations is not None:
            linked = (
                {c.organisation_id for c in contacts if c.organisation_id}
                if contacts is not None
                else set(
                    meeting.contacts.filter(organisation__isnull=False).values_list(
                        "organisation_id", flat=True
                    )
                )
            )
            meeting.organisations.set({o.pk for o in organisations} | linked)
        if topics is not None or goals is not None:
            goal_list = list(goals) if goals is not None else list(meeting.goals.all())
            topic_ids = (
                {t.pk for t in topics}
                if topics is not None
                else set(meeting.topics.values_list("id", flat=True))
            )
            meeting.topics.set(topic_ids | {g.topic_id for g in goal_list})
            if goals is not None:
                meeting.goals.set(goal_list)
        if our_participants is not None:
            meeting.our_participants.set({u.pk for u in our_participants} | {meeting.author_id})
        if "occurred_at" in changes and contacts is None:
            touched_contacts = set(meeting.contact_links.values_list("contact_id", flat=True))
        if touched_contacts:
            refresh_last_interaction(list(touched_contacts))
            reminders.cancel_stale_contact_alerts(list(touched_contacts))
    return meeting


@transaction.atomic
def delete_meeting(*, meeting: Meeting, by: User) -> None:
    """Remove a meeting (logged by mistake) with its follow-ups; its history keeps the record."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not rules.can_delete_meeting(by, meeting):
        raise PermissionDenied(_("You may not delete this meeting."))
    contact_ids = list(meeting.contact_links.values_list("contact_id", flat=True))
    with _history(by, "delete_meeting"):
        meeting.delete()
        refresh_last_interaction(contact_ids)


# --- Follow-ups ------------------------------------------------------------------------------


def _follow_up(
    *, by: User, spec: NewFollowUp, meeting: Meeting | None = None, goal: Goal | None = None
) -> FollowUp:
    """A new follow-up, not yet validated nor saved."""
    _require_active_assignee(spec.assignee)
    return FollowUp(
        meeting=meeting,
        goal=goal,
        description=spec.description.strip(),
        assignee=spec.assignee,
        due_date=spec.due_date,
        created_by=by,
    )


def _create_follow_up(
    *, by: User, spec: NewFollowUp, meeting: Meeting | None = None, goal: Goal | None = None
) -> FollowUp:
    follow_up = _follow_up(by=by, spec=spec, meeting=meeting, goal=goal)
    follow_up.full_clean()
    follow_up.save()
    reminders.plan_follow_up_reminders(follow_up)
    return follow_up


def _require_active_assignee(assignee: User) -> None:
    # Nobody would be reminded of a follow-up assigned to a closed account.
    if not assignee.is_active:
        raise ValidationError({"assignee": [_("The assignee's account is not active.")]})


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


def _close_follow_up(
    *, follow_up: FollowUp, by: User, note: str, status: str, expected_version: int | None
) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not rules.can_edit_follow_up(by, follow_up):
        raise PermissionDenied(_("You may not change this follow-up."))
    if follow_up.status != FollowUpStatus.OPEN:
        if follow_up.status == status:
            return follow_up  # done twice is done once
        raise ValidationError(_("This follow-up is already closed."))
    check_version(follow_up, expected_version)
    bump_version(follow_up)
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
                "version",
                "updated_at",
            ]
        )
        # Nothing more to remind anyone of.
        reminders.cancel_follow_up_reminders(follow_up)
    return follow_up


@transaction.atomic
def complete_follow_up(
    *, follow_up: FollowUp, by: User, note: str = "", expected_version: int | None = None
) -> FollowUp:
    return _close_follow_up(
        follow_up=follow_up,
        by=by,
        note=note,
        status=FollowUpStatus.DONE,
        expected_version=expected_version,
    )


@transaction.atomic
def cancel_follow_up(
    *, follow_up: FollowUp, by: User, note: str = "", expected_version: int | None = None
) -> FollowUp:
    return _close_follow_up(
        follow_up=follow_up,
        by=by,
        note=note,
        status=FollowUpStatus.CANCELLED,
        expected_version=expected_version,
    )


@transaction.atomic
def update_follow_up(
    *,
    follow_up: FollowUp,
    by: User,
    description: str | None = None,
    assignee: User | None = None,
    due_date: datetime.date | None = None,
    expected_version: int | None = None,
) -> FollowUp:
    """Re-date, reassign or reword an open follow-up; refuses a stale version. Its reminders
    follow the new date and assignee."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not rules.can_edit_follow_up(by, follow_up):
        raise PermissionDenied(_("You may not change this follow-up."))
    check_version(follow_up, expected_version)
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError(_("A closed follow-up cannot be changed."))
    if description is not None:
        follow_up.description = description.strip()
    if assignee is not None and assignee.pk != follow_up.assignee_id:
        _require_active_assignee(assignee)
        follow_up.assignee = assignee
    if due_date is not None:
        follow_up.due_date = due_date
    follow_up.full_clean()
    bump_version(follow_up)
    with _history(by, "update_follow_up"):
        follow_up.save()
    reminders.plan_follow_up_reminders(follow_up)
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
    expected_version: int | None = None,
) -> GoalProgress:
    """Move a goal's status or progress and add an entry to its progress trail."""
    if not rules.can_record_goal_progress(by, goal):
        raise PermissionDenied(_("You may not change this goal."))
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    check_version(goal, expected_version)
    if status is not None:
        goal.status = status
    if progress is not None:
        goal.progress = progress
    if goal.status == GoalStatus.ACHIEVED:
        goal.progress = 100
    goal.full_clean()
    bump_version(goal)
    with _history(by, "record_goal_progress"):
        goal.save(update_fields=["status", "progress", "version", "updated_at"])
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


# --- Topics and goals ------------------------------------------------------------------------


def _require_topic_editor(user: User) -> None:
    if not rules.can_edit_topics_and_goals(user):
        raise PermissionDenied(_("Only the coordinator may change topics and goals."))


@transaction.atomic
def create_topic(
    *,
    by: User,
    name: str,
    municipalities: Iterable[Municipality] = (),
    tags: Iterable[str | Tag] = (),
    **fields: Any,
) -> Topic:
    _require_topic_editor(by)
    topic = Topic(name=name.strip(), **fields)
    topic.full_clean()
    with _history(by, "create_topic"):
        topic.save()
        topic.municipalities.set(municipalities)
        topic.tags.set(crm_services.resolve_tags(tags))
    return topic


@transaction.atomic
def update_topic(
    *,
    topic: Topic,
    by: User,
    municipalities: Iterable[Municipality] | None = None,
    tags: Iterable[str | Tag] | None = None,
    **changes: Any,
) -> Topic:
    _require_topic_editor(by)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    for name, value in changes.items():
        setattr(topic, name, value.strip() if name == "name" else value)
    topic.full_clean()
    with _history(by, "update_topic"):
        topic.save()
        if municipalities is not None:
            topic.municipalities.set(municipalities)
        if tags is not None:
            topic.tags.set(crm_services.resolve_tags(tags))
    return topic


@transaction.atomic
def delete_topic(*, topic: Topic, by: User) -> None:
    """Remove a topic created by mistake. One with goals or meetings `by` can see is refused
    (close it instead).

    One that only meetings hidden from `by` use is removed, not deleted (`removed_at`): those
    meetings keep their record, nobody sees the topic again, and `by` gets the answer of an
    unused topic, which tells nothing of meetings they may not see."""
    _require_topic_editor(by)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    if topic.goals.exists() or Meeting.objects.visible_to(by).filter(topics=topic).exists():
        raise ValidationError(
            _("A topic with goals or meetings cannot be deleted; close it instead.")
        )
    with _history(by, "delete_topic"):
        if Goal.all_objects.filter(topic=topic).exists() or topic.meetings.exists():
            Topic.all_objects.filter(pk=topic.pk).update(removed_at=timezone.now())
        else:
            topic.delete()


GOAL_EDITABLE_FIELDS = frozenset({"topic", "title", "description", "target_date", "owner"})


@transaction.atomic
def create_goal(
    *,
    by: User,
    topic: Topic,
    title: str,
    description: str = "",
    status: str = GoalStatus.PROPOSED,
    progress: int = 0,
    target_date: datetime.date | None = None,
    owner: User | None = None,
) -> Goal:
    _require_topic_editor(by)
    goal = Goal(
        topic=topic,
        title=title.strip(),
        description=description,
        status=status,
        progress=100 if status == GoalStatus.ACHIEVED else progress,
        target_date=target_date,
        owner=owner,
    )
    goal.full_clean()
    with _history(by, "create_goal"):
        goal.save()
    return goal


@transaction.atomic
def update_goal(
    *, goal: Goal, by: User, expected_version: int | None = None, **changes: Any
) -> Goal:
    """Change a goal's title, description, topic, target date or owner.

    Status and progress move through `record_goal_progress`, which keeps the trail.
    """
    unknown = set(changes) - GOAL_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_goal() cannot change {sorted(unknown)}")
    _require_topic_editor(by)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    check_version(goal, expected_version)
    for name, value in changes.items():
        setattr(goal, name, value.strip() if name == "title" else value)
    goal.full_clean()
    bump_version(goal)
    with _history(by, "update_goal"):
        goal.save()
    return goal


@transaction.atomic
def delete_goal(*, goal: Goal, by: User) -> None:
    """Remove a goal created by mistake. One with meetings or follow-ups `by` can see is
    refused (mark it dropped instead), so that their record stays whole.

    One that only meetings or follow-ups hidden from `by` use is removed, not deleted, as a
    topic is (`delete_topic`): the same answer as for an unused goal."""
    _require_topic_editor(by)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if (
        Meeting.objects.visible_to(by).filter(goals=goal).exists()
        or FollowUp.objects.visible_to(by).filter(goal=goal).exists()
    ):
        raise ValidationError(
            _("A goal with meetings or follow-ups cannot be deleted; mark it dropped instead.")
        )
    with _history(by, "delete_goal"):
        if goal.meetings.exists() or goal.follow_ups.exists():
            Goal.all_objects.filter(pk=goal.pk).update(removed_at=timezone.now())
        else:
            goal.delete()


@transaction.atomic
def record_endorsement(
    *,
    goal: Goal,
    municipality: Municipality,
    by: User,
    state: str,
    deciding_body: str = "",
    decision_date: datetime.date | None = None,
    minutes_reference: str = "",
) -> GoalEndorsement:
    """Record (or change) one municipality's position on a goal."""
    if not rules.can_record_endorsement(by, municipality):
        raise PermissionDenied(_("You may not record this municipality's position."))
    if municipality.is_joint_organisation:
        raise ValidationError({"municipality": [_("Only the six municipalities endorse goals.")]})
    # One position per municipality: concurrent recordings of the same goal queue up here.
    Goal.objects.select_for_update().get(pk=goal.pk)
    endorsement = GoalEndorsement.objects.filter(
        goal=goal, municipality=municipality
    ).first() or GoalEndorsement(goal=goal, municipality=municipality)
    endorsement.state = state
    endorsement.deciding_body = deciding_body
    endorsement.decision_date = decision_date
    endorsement.minutes_reference = minutes_reference
    endorsement.full_clean()
    with _history(by, "record_endorsement"):
        endorsement.save()
    return endorsement


# --- Notifications ---------------------------------------------------------------------------


def mark_notification_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of the user's own notifications read (once; reading again changes nothing)."""
    if notification.recipient_id != by.pk:
        raise PermissionDenied(_("This notification is not yours."))
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_notifications_read(*, user: User) -> int:
    """Mark all of the user's unread notifications read; returns how many were unread."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())


# --- Reminders ------------------------------------------------------------------------------


@transaction.atomic
def retry_reminder(*, reminder: Reminder, by: User) -> Reminder:
    """Give a failed reminder another full set of attempts; the next sweep sends it."""
    if not rules.can_operate_reminders(by):
        raise PermissionDenied(_("You may not retry reminders."))
    reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if reminder.state != ReminderState.FAILED:
        raise ValidationError(_("Only a failed reminder can be retried."))
    reminder.state = ReminderState.PENDING
    reminder.attempts = 0
    reminder.next_attempt_at = None
    reminder.save(update_fields=["state", "attempts", "next_attempt_at"])
    return reminder


@transaction.atomic
def retry_outbox_email(*, email: OutboxEmail, by: User) -> OutboxEmail:
    """Send a failed e-mail again: back in the outbox with a fresh set of attempts."""
    if not rules.can_operate_reminders(by):
        raise PermissionDenied(_("You may not retry e-mail."))
    if not mail.requeue(email):
        raise ValidationError(_("Only a failed e-mail can be sent again."))
    email.refresh_from_db()
    return email


@transaction.atomic
def update_notification_preferences(
    *,
    user: User,
    by: User,
    email_kinds: Sequence[str] | None = None,
    in_app_kinds: Sequence[str] | None = None,
    digest_weekday: int | None = None,
) -> NotificationPreference:
    """Choose per kind of reminder which channels to get, and the day of the weekly digest.

    Pending reminders follow at once: unwanted ones are cancelled, newly wanted ones planned.
    """
    if by.pk != user.pk and not rules.can_operate_reminders(by):
        raise PermissionDenied(_("You may not change another user's notifications."))
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user
    )
    if email_kinds is not None:
        preference.email_kinds = sorted(set(email_kinds))
    if in_app_kinds is not None:
        preference.in_app_kinds = sorted(set(in_app_kinds))
    if digest_weekday is not None:
        preference.digest_weekday = digest_weekday
    preference.full_clean()
    preference.save()
    reminders.wanted_kinds_changed(user)
    return preference

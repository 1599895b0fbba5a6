"""One chronological record per topic, goal, contact or organisation: its meetings, its
follow-ups, and every change to it (who changed what, when), within what the reader may see.

Meetings and follow-ups come from `visible_to(user)`. Changes come from the history tables that
the database triggers fill (django-pghistory), so edits made anywhere are there; each change
lists the fields that differ from the previous version of the same row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from crm.models import Contact, Organisation, User

from .models import FollowUp, FollowUpStatus, Goal, GoalProgress, Meeting, Topic

# Bookkeeping columns that say nothing a reader needs.
IGNORED_FIELDS = {"id", "created_at", "updated_at", "last_interaction_at"}

MEETING, FOLLOW_UP, FOLLOW_UP_CLOSED, CHANGE, PROGRESS = (
    "meeting",
    "follow_up",
    "follow_up_closed",
    "change",
    "progress",
)


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class TimelineEntry:
    at: datetime.datetime
    kind: str
    title: str
    actor: str = ""
    detail: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    meeting: Meeting | None = None
    follow_up: FollowUp | None = None


def _display(model_field: models.Field, value: Any, names: dict) -> str:
    if value in (None, ""):
        return "–"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return names.get((model_field.related_model, value), f"#{value}")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _history_entries(event_model, events: models.QuerySet, subject: str) -> list[TimelineEntry]:
    """Turn history rows into entries: created, changed (with the fields), deleted."""
    tracked = event_model.pgh_tracked_model
    fields = [
        f
        for f in tracked._meta.concrete_fields
        if f.attname not in IGNORED_FIELDS and hasattr(event_model, f.attname)
    ]
    rows = list(events.select_related("pgh_context").order_by("pgh_obj_id", "pgh_id"))
    # Names of the rows foreign keys point at, one query per related model.
    wanted: dict[type, set] = {}
    for f in fields:
        if isinstance(f, models.ForeignKey):
            wanted.setdefault(f.related_model, set()).update(
                getattr(r, f.attname) for r in rows if getattr(r, f.attname) is not None
            )
    user_ids = {
        r.pgh_context.metadata.get("user")
        for r in rows
        if r.pgh_context_id and r.pgh_context and r.pgh_context.metadata.get("user")
    }
    wanted.setdefault(User, set()).update(user_ids)
    names = {
        (model, pk): str(obj)
        for model, ids in wanted.items()
        if ids
        for pk, obj in model._default_manager.in_bulk(list(ids)).items()
    }
    entries = []
    previous: dict[Any, Any] = {}
    for row in rows:
        actor = ""
        if row.pgh_context_id and row.pgh_context:
            actor = names.get((User, row.pgh_context.metadata.get("user")), "")
        before = previous.get(row.pgh_obj_id)
        previous[row.pgh_obj_id] = row
        if row.pgh_label == "insert" or before is None:
            title = _("%(subject)s created") % {"subject": subject}
            changes = []
        elif row.pgh_label == "delete":
            title = _("%(subject)s deleted") % {"subject": subject}
            changes = []
        else:
            changes = [
                FieldChange(
                    label=str(f.verbose_name),
                    old=_display(f, getattr(before, f.attname), names),
                    new=_display(f, getattr(row, f.attname), names),
                )
                for f in fields
                if getattr(before, f.attname) != getattr(row, f.attname)
            ]
            if not changes:
                continue
            title = _("%(subject)s changed") % {"subject": subject}
        entries.append(
            TimelineEntry(
                at=row.pgh_created_at, kind=CHANGE, title=title, actor=actor, changes=changes
            )
        )
    return entries


def _meeting_entries(meetings: models.QuerySet) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=m.occurred_at,
            kind=MEETING,
            title=m.title,
            actor=str(m.author),
            detail=m.get_kind_display(),
            meeting=m,
        )
        for m in meetings.select_related("author").order_by("-occurred_at", "-id")
    ]


def _follow_up_entries(follow_ups: models.QuerySet) -> list[TimelineEntry]:
    entries = []
    for f in follow_ups.select_related("assignee", "created_by", "completed_by"):
        entries.append(
            TimelineEntry(
                at=f.created_at,
                kind=FOLLOW_UP,
                title=f.description,
                actor=str(f.created_by or ""),
                detail=_("for %(assignee)s, due %(due)s")
                % {"assignee": f.assignee, "due": f.due_date.strftime("%-d.%-m.%Y")},
                follow_up=f,
            )
        )
        if f.status != FollowUpStatus.OPEN and f.completed_at:
            entries.append(
                TimelineEntry(
                    at=f.completed_at,
                    kind=FOLLOW_UP_CLOSED,
                    title=f.description,
                    actor=str(f.completed_by or ""),
                    detail=f"{f.get_status_display()}: {f.completion_note}".rstrip(": "),
                    follow_up=f,
                )
            )
    return entries


def _progress_entries(progress: models.QuerySet) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=p.created_at,
            kind=PROGRESS,
            title=_("Progress of %(goal)s: %(status)s, %(progress)d %%")
            % {"goal": p.goal.title, "status": p.get_status_display(), "progress": p.progress},
            actor=str(p.author or ""),
            detail=p.note,
        )
        for p in progress.select_related("goal", "author")
    ]


def _sorted(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _event(app_label: str, name: str):
    return apps.get_model(app_label, name)


def topic_timeline(*, topic: Topic, user: User) -> list[TimelineEntry]:
    meetings = Meeting.objects.visible_to(user).filter(
        Exists(Meeting.topics.through.objects.filter(meeting_id=OuterRef("pk"), topic=topic))
    )
    follow_ups = FollowUp.objects.visible_to(user).filter(
        Q(goal__topic=topic) | Q(meeting__in=meetings.values("pk"))
    )
    topic_events = _event("advocacy", "TopicEvent")
    goal_events = _event("advocacy", "GoalEvent")
    return _sorted(
        _meeting_entries(meetings)
        + _follow_up_entries(follow_ups)
        + _history_entries(
            topic_events, topic_events.objects.filter(pgh_obj_id=topic.pk), _("Topic")
        )
        + _history_entries(goal_events, goal_events.objects.filter(topic_id=topic.pk), _("Goal"))
        + _progress_entries(GoalProgress.objects.filter(goal__topic=topic).exclude(note=""))
    )


def goal_timeline(*, goal: Goal, user: User) -> list[TimelineEntry]:
    meetings = Meeting.objects.visible_to(user).filter(
        Exists(Meeting.goals.through.objects.filter(meeting_id=OuterRef("pk"), goal=goal))
    )
    follow_ups = FollowUp.objects.visible_to(user).filter(
        Q(goal=goal) | Q(meeting__in=meetings.values("pk"))
    )
    goal_events = _event("advocacy", "GoalEvent")
    endorsement_events = _event("advocacy", "GoalEndorsementEvent")
    return _sorted(
        _meeting_entries(meetings)
        + _follow_up_entries(follow_ups)
        + _history_entries(goal_events, goal_events.objects.filter(pgh_obj_id=goal.pk), _("Goal"))
        + _history_entries(
            endorsement_events, endorsement_events.objects.filter(goal_id=goal.pk), _("Position")
        )
        + _progress_entries(GoalProgress.objects.filter(goal=goal).exclude(note=""))
    )


def contact_timeline(*, contact: Contact, user: User) -> list[TimelineEntry]:
    meetings = Meeting.objects.visible_to(user).with_contact(contact)
    follow_ups = FollowUp.objects.visible_to(user).filter(meeting__in=meetings.values("pk"))
    contact_events = _event("crm", "ContactEvent")
    position_events = _event("crm", "ContactPositionEvent")
    return _sorted(
        _meeting_entries(meetings)
        + _follow_up_entries(follow_ups)
        + _history_entries(
            contact_events, contact_events.objects.filter(pgh_obj_id=contact.pk), _("Contact")
        )
        + _history_entries(
            position_events, position_events.objects.filter(contact_id=contact.pk), _("Position")
        )
    )


def organisation_timeline(*, organisation: Organisation, user: User) -> list[TimelineEntry]:
    meetings = Meeting.objects.visible_to(user).filter(
        Exists(
            Meeting.organisations.through.objects.filter(
                meeting_id=OuterRef("pk"), organisation=organisation
            )
        )
    )
    follow_ups = FollowUp.objects.visible_to(user).filter(meeting__in=meetings.values("pk"))
    organisation_events = _event("crm", "OrganisationEvent")
    return _sorted(
        _meeting_entries(meetings)
        + _follow_up_entries(follow_ups)
        + _history_entries(
            organisation_events,
            organisation_events.objects.filter(pgh_obj_id=organisation.pk),
            _("Organisation"),
        )
    )

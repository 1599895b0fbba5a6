"""Personal data of one contact across both apps: the data-subject export and anonymisation.

The directory's part comes from `crm.gdpr`; the meetings, follow-ups and reminders about the
person are added here. Every export is scoped to what the exporting user may see and writes
one access-log row.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import gdpr as crm_gdpr
from crm import services as crm_services
from crm.models import AccessPurpose, Contact, User
from crm.rules import can_anonymise_contacts

from .models import FollowUp, Meeting, MeetingSearchWord, Notification, OutboxEmail, Reminder

EXPORT_FORMAT_VERSION = 1


def contact_export(*, contact: Contact, by: User) -> dict[str, Any]:
    """Everything stored about one person that `by` may see, as JSON-ready data."""
    data = crm_gdpr.contact_directory_data(contact)
    meetings = (
        Meeting.objects.visible_to(by)
        .with_contact(contact)
        .select_related("author", "municipality")
        .prefetch_related("topics", "goals", "organisations")
        .order_by("occurred_at", "pk")
    )
    data["meetings"] = [
        {
            "id": m.pk,
            "occurred_at": m.occurred_at.isoformat(),
            "kind": m.kind,
            "title": m.title,
            "place": m.place,
            "notes": m.notes,
            "outcomes": m.outcomes,
            "visibility": m.visibility,
            "logged_by": str(m.author),
            "municipality": m.municipality.name if m.municipality_id else None,
            "topics": [t.name for t in m.topics.all()],
            "goals": [g.title for g in m.goals.all()],
            "organisations": [o.name for o in m.organisations.all()],
        }
        for m in meetings
    ]
    data["follow_ups"] = [
        {
            "id": f.pk,
            "meeting_id": f.meeting_id,
            "description": f.description,
            "due_date": f.due_date.isoformat(),
            "status": f.status,
            "completion_note": f.completion_note,
        }
        for f in FollowUp.objects.visible_to(by)
        .filter(meeting__in=meetings.values("pk"))
        .order_by("due_date", "pk")
    ]
    data["reminders"] = [
        {"kind": r.kind, "due_at": r.due_at.isoformat(), "state": r.state}
        for r in Reminder.objects.filter(contact=contact).order_by("due_at", "pk")
    ]
    data["export"] = {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "exported_by": str(by),
        "scope": _("Meetings and follow-ups the exporting user may see."),
    }
    crm_gdpr.record_access(
        user=by, purpose=AccessPurpose.DATA_EXPORT, contact=contact, target="personal data export"
    )
    return data


def _advocacy_texts(contact: Contact):
    """Querysets of the free text about this person (related) in advocacy's tables."""
    meeting_ids = list(Meeting.objects.with_contact(contact).values_list("pk", flat=True))
    meeting_events = apps.get_model("advocacy", "MeetingEvent")
    follow_up_events = apps.get_model("advocacy", "FollowUpEvent")
    reminders = Reminder.objects.filter(contact=contact)
    return [
        Meeting.objects.filter(pk__in=meeting_ids),
        meeting_events.objects.filter(pgh_obj_id__in=meeting_ids),
        FollowUp.objects.filter(meeting_id__in=meeting_ids),
        follow_up_events.objects.filter(meeting_id__in=meeting_ids),
        reminders,
        Notification.objects.filter(reminder__in=reminders),
        OutboxEmail.objects.filter(reminder__in=reminders),
    ]


def _all_advocacy_texts():
    """Every advocacy table with free text, and its history: for e-mail addresses and phones."""
    names = [
        "Topic",
        "Goal",
        "GoalEndorsement",
        "GoalProgress",
        "Meeting",
        "FollowUp",
        "Reminder",
        "Notification",
        "OutboxEmail",
        "TopicEvent",
        "GoalEvent",
        "GoalEndorsementEvent",
        "MeetingEvent",
        "FollowUpEvent",
    ]
    return [apps.get_model("advocacy", n)._base_manager.all() for n in names]


@transaction.atomic
def anonymise_contact_everywhere(*, contact: Contact, by: User) -> Contact:
    """Anonymise a person and scrub their identity from every table that holds it.

    The contact row keeps its meetings (blanked of identity, see `crm.services`), its own
    history rows are scrubbed, and their name, e-mail addresses and phone numbers are replaced
    in the free text of the meetings they attended, those meetings' follow-ups, the reminders
    and messages about them and the history rows of all of these; their e-mail addresses and
    phone numbers also anywhere else (any note or log). Writes one access-log row.
    """
    if not can_anonymise_contacts(by):
        raise PermissionDenied(_("You may not anonymise contacts."))
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.anonymised_at is not None:
        return contact
    patterns = crm_gdpr.identity_patterns(contact)
    crm_services.anonymise_contact(contact=contact, by=by)
    crm_gdpr.scrub_text(_advocacy_texts(contact), patterns, related=True)
    crm_gdpr.scrub_text(_all_advocacy_texts(), patterns, related=False)
    MeetingSearchWord.objects.forget(patterns.everywhere + patterns.related)
    crm_gdpr.scrub_directory(contact, patterns)
    crm_gdpr.record_access(
        user=by, purpose=AccessPurpose.ANONYMISATION, contact=contact, target="anonymisation"
    )
    contact.refresh_from_db()
    return contact

"""Write paths of the contact directory. Each is one transaction and keeps the history context."""

from __future__ import annotations

from typing import Any

import pghistory
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Contact, NetworkMembership, User
from crm.rules import can_anonymise_contacts

# What anonymisation removes: everything that identifies the person.
IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "email",
    "secondary_email",
    "phone",
    "mobile_phone",
    "notes",
)


@transaction.atomic
def create_contact(*, by: User | None, **fields: Any) -> Contact:
    """Create a contact after full validation (names, e-mail, phone numbers)."""
    tags = fields.pop("tags", ())
    owners = fields.pop("relationship_owners", ())
    contact = Contact(created_by=by, **fields)
    contact.full_clean()
    with pghistory.context(user=by.pk if by else None):
        contact.save()
        if tags:
            contact.tags.set(tags)
        if owners:
            contact.relationship_owners.set(owners)
    return contact


@transaction.atomic
def anonymise_contact(*, contact: Contact, by: User) -> Contact:
    """Remove a person's identity while keeping every meeting they took part in.

    The contact row stays (meetings point at it) with its identity fields blanked; its history
    rows are scrubbed of the same fields, so no old name, e-mail or phone survives anywhere.
    """
    if not can_anonymise_contacts(by):
        raise PermissionDenied(_("You may not anonymise contacts."))
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.anonymised_at is not None:
        return contact
    now = timezone.now()
    with pghistory.context(user=by.pk, action="anonymise_contact"):
        for field in IDENTITY_FIELDS:
            setattr(contact, field, "")
        contact.last_name = _("Anonymised contact")
        contact.anonymised_at = now
        contact.archived_at = contact.archived_at or now
        contact.save()
        contact.tags.clear()
        contact.relationship_owners.clear()
        contact.positions.update(title="")
    _scrub_history(contact)
    return contact


def _scrub_history(contact: Contact) -> None:
    """Blank the identity fields in the contact's history rows (the triggers copied them there)."""
    contact_events = apps.get_model("crm", "ContactEvent")
    position_events = apps.get_model("crm", "ContactPositionEvent")
    contact_events.objects.filter(pgh_obj_id=contact.pk).update(
        **dict.fromkeys(IDENTITY_FIELDS, "")
    )
    position_events.objects.filter(contact_id=contact.pk).update(title="")


def merge_contact_records(*, survivor: Contact, duplicate: Contact) -> None:
    """Move the directory side of a duplicate onto the survivor (positions, networks, tags, owners).

    Part of `advocacy.services.merge_contacts`, which also moves meetings; call that one.
    Must run inside its transaction.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A contact cannot be merged with itself."))
    duplicate.positions.update(contact=survivor)
    already_member = NetworkMembership.objects.filter(contact=survivor).values("network_id")
    duplicate.memberships.exclude(network_id__in=already_member).update(contact=survivor)
    duplicate.memberships.all().delete()
    survivor.tags.add(*duplicate.tags.all())
    survivor.relationship_owners.add(*duplicate.relationship_owners.all())
    # Fill the survivor's empty fields from the duplicate; never overwrite what it has.
    for field in (
        "first_name",
        "title",
        "organisation_id",
        "municipality_id",
        "email",
        "phone",
        "mobile_phone",
        "stale_after_days",
    ):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    if duplicate.email and duplicate.email.lower() != (survivor.email or "").lower():
        if not survivor.secondary_email:
            survivor.secondary_email = duplicate.email
    if duplicate.notes:
        survivor.notes = "\n\n".join(filter(None, [survivor.notes, duplicate.notes]))
    survivor.is_decision_maker = survivor.is_decision_maker or duplicate.is_decision_maker
    survivor.influence_level = max(survivor.influence_level, duplicate.influence_level)
    survivor.save()

"""Write paths of the contact directory. Each is one transaction and keeps the history context."""

from __future__ import annotations

from typing import Any

import pghistory
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Contact, Language, Network, NetworkMembership, Organisation, User
from crm.rules import can_anonymise_contacts, can_edit_directory

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


# --- Edits from the web UI -------------------------------------------------------------------


def _check_directory_editor(by: User) -> None:
    if not can_edit_directory(by):
        raise PermissionDenied(_("You may not edit the directory."))


def _save_with_relations(obj, *, by: User, action: str, fields: dict[str, Any], m2m: dict) -> None:
    """Set plain fields, validate, save and set many-to-many relations in one history context."""
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    with pghistory.context(user=by.pk, action=action):
        obj.save()
        for name, values in m2m.items():
            getattr(obj, name).set(values)


def _split_m2m(fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: fields.pop(name) for name in names if name in fields}


@transaction.atomic
def update_contact(*, contact: Contact, by: User, **fields: Any) -> Contact:
    """Change a contact's fields (and tags, relationship owners) after full validation."""
    _check_directory_editor(by)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.is_anonymised:
        raise ValidationError(_("An anonymised contact cannot be edited."))
    m2m = _split_m2m(fields, ("tags", "relationship_owners"))
    _save_with_relations(contact, by=by, action="update_contact", fields=fields, m2m=m2m)
    return contact


@transaction.atomic
def create_organisation(*, by: User, **fields: Any) -> Organisation:
    _check_directory_editor(by)
    m2m = _split_m2m(fields, ("tags",))
    organisation = Organisation()
    _save_with_relations(organisation, by=by, action="create_organisation", fields=fields, m2m=m2m)
    return organisation


@transaction.atomic
def update_organisation(*, organisation: Organisation, by: User, **fields: Any) -> Organisation:
    _check_directory_editor(by)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if fields.get("parent") is not None and fields["parent"].pk == organisation.pk:
        raise ValidationError({"parent": _("An organisation cannot be its own parent.")})
    m2m = _split_m2m(fields, ("tags",))
    _save_with_relations(organisation, by=by, action="update_organisation", fields=fields, m2m=m2m)
    return organisation


@transaction.atomic
def create_network(*, by: User, **fields: Any) -> Network:
    _check_directory_editor(by)
    network = Network()
    _save_with_relations(network, by=by, action="create_network", fields=fields, m2m={})
    return network


@transaction.atomic
def update_network(*, network: Network, by: User, **fields: Any) -> Network:
    _check_directory_editor(by)
    network = Network.objects.select_for_update().get(pk=network.pk)
    _save_with_relations(network, by=by, action="update_network", fields=fields, m2m={})
    return network


@transaction.atomic
def add_network_member(
    *,
    network: Network,
    by: User,
    contact: Contact | None = None,
    organisation: Organisation | None = None,
    role: str = "",
) -> NetworkMembership:
    """Add a contact or an organisation to a network (the model's constraints say which)."""
    _check_directory_editor(by)
    membership = NetworkMembership(
        network=network, contact=contact, organisation=organisation, role=role.strip()
    )
    membership.full_clean()
    with pghistory.context(user=by.pk, action="add_network_member"):
        membership.save()
    return membership


@transaction.atomic
def remove_network_member(*, membership: NetworkMembership, by: User) -> None:
    _check_directory_editor(by)
    with pghistory.context(user=by.pk, action="remove_network_member"):
        membership.delete()


def set_user_language(*, user: User, language: str) -> User:
    """Remember the language a user chose; crm.middleware speaks it on every request."""
    if language not in Language.values:
        raise ValidationError(_("Unknown language."))
    if user.language != language:
        user.language = language
        with pghistory.context(user=user.pk, action="set_user_language"):
            user.save(update_fields=["language"])
    return user

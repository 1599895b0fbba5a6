"""Write paths of the contact directory. Each is one transaction and keeps the history context."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pghistory
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from crm import rules
from crm.models import Contact, Language, Network, NetworkMembership, Organisation, Tag, User
from crm.versioning import bump_version, check_version

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


def resolve_tags(values: Iterable[str | Tag]) -> list[Tag]:
    """Tags by name (case-insensitive), created on first use; Tag objects pass through."""
    tags: dict[int, Tag] = {}
    for value in values:
        if isinstance(value, Tag):
            tags[value.pk] = value
            continue
        name = " ".join(str(value).split())
        if not name:
            continue
        tag = Tag(name=name)
        tag.full_clean(validate_unique=False, validate_constraints=False)
        tag, _created = Tag.objects.get_or_create(name__iexact=name, defaults={"name": name})
        tags[tag.pk] = tag
    return list(tags.values())


def _require_directory_editor(user: User | None) -> None:
    if user is not None and not rules.can_edit_directory(user):
        raise PermissionDenied(_("You may not change the contact directory."))


@transaction.atomic
def create_contact(*, by: User | None, **fields: Any) -> Contact:
    """Create a contact after full validation (names, e-mail, phone numbers).

    `tags` may be names or Tag objects; unknown names become new tags.
    """
    _require_directory_editor(by)
    tags = resolve_tags(fields.pop("tags", ()))
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


# What create_contacts may set. The fields' own validation (lengths, e-mail, phone number)
# covers every CHECK constraint of a contact with these set and the rest at their defaults.
NEW_CONTACT_FIELDS = frozenset(
    {"first_name", "last_name", "title", "organisation", "email", "phone"}
)


def create_contacts(*, by: User | None, contacts: Sequence[Mapping[str, Any]]) -> list[Contact]:
    """Create several contacts (people met for the first time) in one insert.

    Each is validated as `create_contact` validates it, without its queries: the constraints are
    covered by the fields' validation (NEW_CONTACT_FIELDS), and the organisation and the creator
    are rows in hand. The first invalid contact's errors are raised; nothing is written then.
    Its one write, a single insert, is atomic by itself: no transaction (or, in another
    service's, no savepoint) of its own.
    """
    _require_directory_editor(by)
    new = []
    for fields in contacts:
        unknown = set(fields) - NEW_CONTACT_FIELDS
        if unknown:
            raise TypeError(f"create_contacts() cannot set {sorted(unknown)}")
        contact = Contact(created_by=by, **fields)
        contact.full_clean(exclude=["organisation", "created_by"], validate_constraints=False)
        new.append(contact)
    if not new:
        return []
    with pghistory.context(user=by.pk if by else None):
        return Contact.objects.bulk_create(new)


# What update_contact may change; the rest is derived or has its own service.
CONTACT_EDITABLE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "title",
        "organisation",
        "municipality",
        "email",
        "secondary_email",
        "phone",
        "mobile_phone",
        "is_decision_maker",
        "influence_level",
        "stale_after_days",
        "notes",
        "lawful_basis",
    }
)


@transaction.atomic
def update_contact(
    *,
    contact: Contact,
    by: User,
    expected_version: int | None = None,
    tags: Iterable[str | Tag] | None = None,
    relationship_owners: Iterable[User] | None = None,
    archived: bool | None = None,
    **changes: Any,
) -> Contact:
    """Change a contact's fields, tags, owners or archived state; refuses a stale version.

    Raises `crm.versioning.VersionConflict` when `expected_version` is not the current one.
    """
    unknown = set(changes) - CONTACT_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_contact() cannot change {sorted(unknown)}")
    _require_directory_editor(by)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    check_version(contact, expected_version)
    if contact.anonymised_at is not None:
        raise ValidationError(_("An anonymised contact cannot be changed."))
    for name, value in changes.items():
        setattr(contact, name, value)
    if archived is not None:
        if not archived:
            contact.archived_at = None
        elif contact.archived_at is None:
            contact.archived_at = timezone.now()
    contact.full_clean()
    bump_version(contact)
    with pghistory.context(user=by.pk, action="update_contact"):
        contact.save()
        if tags is not None:
            contact.tags.set(resolve_tags(tags))
        if relationship_owners is not None:
            contact.relationship_owners.set(relationship_owners)
    return contact


@transaction.atomic
def anonymise_contact(*, contact: Contact, by: User) -> Contact:
    """Remove a person's identity while keeping every meeting they took part in.

    The contact row stays (meetings point at it) with its identity fields blanked; its history
    rows are scrubbed of the same fields, so no old name, e-mail or phone survives anywhere.
    """
    if not rules.can_anonymise_contacts(by):
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
        bump_version(contact)
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
    bump_version(survivor)
    survivor.save()


# --- Organisations ---------------------------------------------------------------------------


@transaction.atomic
def create_organisation(*, by: User, tags: Iterable[str | Tag] = (), **fields: Any) -> Organisation:
    _require_directory_editor(by)
    organisation = Organisation(**fields)
    organisation.full_clean()  # also normalises the business ID (Organisation.clean)
    with pghistory.context(user=by.pk, action="create_organisation"):
        organisation.save()
        if tags:
            organisation.tags.set(resolve_tags(tags))
    return organisation


@transaction.atomic
def update_organisation(
    *,
    organisation: Organisation,
    by: User,
    tags: Iterable[str | Tag] | None = None,
    **changes: Any,
) -> Organisation:
    _require_directory_editor(by)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    for name, value in changes.items():
        setattr(organisation, name, value)
    if organisation.parent_id is not None and _is_own_ancestor(organisation):
        raise ValidationError(
            {"parent": [_("An organisation cannot be a unit of itself or of its own units.")]}
        )
    organisation.full_clean()
    with pghistory.context(user=by.pk, action="update_organisation"):
        organisation.save()
        if tags is not None:
            organisation.tags.set(resolve_tags(tags))
    return organisation


def _is_own_ancestor(organisation: Organisation) -> bool:
    """Whether the organisation's new parent chain leads back to it (a cycle)."""
    seen = {organisation.pk}
    parent_id = organisation.parent_id
    while parent_id is not None:
        if parent_id in seen:
            return True
        seen.add(parent_id)
        parent_id = (
            Organisation.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        )
    return False


@transaction.atomic
def delete_organisation(*, organisation: Organisation, by: User) -> None:
    """Remove an organisation record; its contacts stay (without an organisation)."""
    if not rules.can_delete_directory_entries(by):
        raise PermissionDenied(_("You may not delete organisations."))
    with pghistory.context(user=by.pk, action="delete_organisation"):
        try:
            organisation.delete()
        except ProtectedError as error:
            raise ValidationError(
                _("Past positions of contacts refer to this organisation; it cannot be deleted.")
            ) from error


# --- Networks --------------------------------------------------------------------------------


@transaction.atomic
def create_network(*, by: User, **fields: Any) -> Network:
    _require_directory_editor(by)
    network = Network(**fields)
    network.full_clean()
    with pghistory.context(user=by.pk, action="create_network"):
        network.save()
    return network


@transaction.atomic
def update_network(*, network: Network, by: User, **changes: Any) -> Network:
    _require_directory_editor(by)
    network = Network.objects.select_for_update().get(pk=network.pk)
    for name, value in changes.items():
        setattr(network, name, value)
    network.full_clean()
    with pghistory.context(user=by.pk, action="update_network"):
        network.save()
    return network


@transaction.atomic
def delete_network(*, network: Network, by: User) -> None:
    if not rules.can_delete_directory_entries(by):
        raise PermissionDenied(_("You may not delete networks."))
    with pghistory.context(user=by.pk, action="delete_network"):
        network.delete()


@transaction.atomic
def add_network_member(
    *,
    network: Network,
    by: User,
    contact: Contact | None = None,
    organisation: Organisation | None = None,
    role: str = "",
    since: datetime.date | None = None,
) -> NetworkMembership:
    """Add a contact or an organisation (exactly one) to a network."""
    _require_directory_editor(by)
    if (contact is None) == (organisation is None):
        raise ValidationError(_("A member is either a contact or an organisation."))
    membership = NetworkMembership(
        network=network, contact=contact, organisation=organisation, role=role, since=since
    )
    membership.full_clean()
    with pghistory.context(user=by.pk, action="add_network_member"):
        membership.save()
    return membership


@transaction.atomic
def update_network_member(
    *, membership: NetworkMembership, by: User, **changes: Any
) -> NetworkMembership:
    """Change a member's role or start date (not who the member is)."""
    unknown = set(changes) - {"role", "since"}
    if unknown:
        raise TypeError(f"update_network_member() cannot change {sorted(unknown)}")
    _require_directory_editor(by)
    membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
    for name, value in changes.items():
        setattr(membership, name, value)
    membership.full_clean()
    with pghistory.context(user=by.pk, action="update_network_member"):
        membership.save()
    return membership


@transaction.atomic
def remove_network_member(*, membership: NetworkMembership, by: User) -> None:
    _require_directory_editor(by)
    with pghistory.context(user=by.pk, action="remove_network_member"):
        membership.delete()


# --- API tokens ------------------------------------------------------------------------------


def issue_api_token(*, user: User) -> Token:
    """The user's personal API token, created on first request (one per user until revoked)."""
    if not user.is_active:
        raise PermissionDenied(_("This account is closed."))
    token, _created = Token.objects.get_or_create(user=user)
    return token


def revoke_api_token(*, user: User) -> list[str]:
    """Revoke the user's token: clients using it get 401 from now on. Returns the revoked keys
    (for the security log's fingerprints)."""
    tokens = Token.objects.filter(user=user)
    keys = list(tokens.values_list("key", flat=True))
    tokens.delete()
    return keys


def set_user_language(*, user: User, language: str) -> User:
    """Remember the language a user chose; crm.middleware speaks it on every request."""
    if language not in Language.values:
        raise ValidationError(_("Unknown language."))
    if user.language != language:
        user.language = language
        with pghistory.context(user=user.pk, action="set_user_language"):
            user.save(update_fields=["language"])
    return user

"""Personal-data duties of the contact directory: the access log, the directory's part of a
data-subject export, the retention review, and scrubbing a person's identity out of free text.

The meetings side of these duties is composed in `advocacy.gdpr` (crm never imports advocacy).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pghistory
import phonenumbers
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from phonenumber_field.modelfields import PhoneNumberField

from config.db import confirmed
from config.db.compiled import id_array
from crm.models import (
    AccessLog,
    AccessPurpose,
    Contact,
    ImportBatch,
    ImportState,
    LawfulBasis,
    Organisation,
    User,
)

# --- Access log ------------------------------------------------------------------------------


_ACCESS_LOG_FIELDS = ["user", "occurred_at", "purpose", "target", "contact_ids"]


@functools.cache
def _access_log_insert() -> confirmed.Statement:
    return confirmed.Statement.insert(AccessLog, _ACCESS_LOG_FIELDS)


def record_access(
    *,
    user: User,
    purpose: str,
    contacts: Iterable[Contact | int] = (),
    contact: Contact | int | None = None,
    target: str = "",
) -> None:
    """Write one access-log row: who read or exported which contacts, when, why.

    Give `contact` for a single person or `contacts` for an export of many; the row stores ids
    only. `target` names what was read without personal data (e.g. "report 2026H1").

    In a request (outside a transaction) the row is committed on a connection of its own while
    the response is made, and confirmed before the response leaves (`config.db.confirmed`):
    nothing is sent unlogged, and the request does not wait for the log's commit.
    """
    ids: list[int] = []
    for item in ([contact] if contact is not None else []) + list(contacts):
        pk = item if isinstance(item, int) else item.pk
        if pk not in ids:
            ids.append(pk)
    if purpose not in AccessPurpose.values:
        raise ValueError(f"unknown access purpose {purpose!r}")
    ids.sort()
    occurred_at = timezone.now()
    # A path may hold an encoded NUL, which PostgreSQL's text cannot.
    target = target.replace("\x00", "")[:200]
    values = [str(user.pk), occurred_at.isoformat(), purpose, target, id_array(ids)]
    if not confirmed.send(_access_log_insert(), values):
        AccessLog.objects.create(
            user=user, occurred_at=occurred_at, purpose=purpose, contact_ids=ids, target=target
        )


def access_log_about(contact_id: int) -> models.QuerySet[AccessLog]:
    """The access log about one person, newest first, with the rows this request has logged
    (committed beside it, `config.db.confirmed`) among them."""
    confirmed.confirm()
    return AccessLog.objects.about(contact_id).select_related("user")


# --- Export of one person's data (the directory's part) --------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, phonenumbers.PhoneNumber):
        return phonenumbers.format_number(value, phonenumbers.PhoneNumberFormat.E164)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _row(obj: models.Model, exclude: Sequence[str] = ()) -> dict[str, Any]:
    return {
        f.attname: _plain(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.attname not in exclude
    }


def contact_directory_data(contact: Contact) -> dict[str, Any]:
    """Everything the directory stores about one person, as JSON-ready data.

    The contact's own fields, positions, network memberships, tags, relationship owners, its
    history rows and the access log about it. Meetings are added by `advocacy.gdpr`.
    """
    contact = (
        Contact.objects.select_related("organisation", "municipality")
        .prefetch_related("tags", "relationship_owners")
        .get(pk=contact.pk)
    )
    contact_events = apps.get_model("crm", "ContactEvent")
    position_events = apps.get_model("crm", "ContactPositionEvent")
    # last_interaction_at counts meetings the exporter may not see: it would date them.
    data = _row(contact, exclude=("last_interaction_at",))
    data["organisation_name"] = contact.organisation.name if contact.organisation_id else None
    data["municipality_name"] = contact.municipality.name if contact.municipality_id else None
    data["lawful_basis_label"] = str(contact.get_lawful_basis_display())
    return {
        "contact": data,
        "tags": [t.name for t in contact.tags.all()],
        "relationship_owners": [
            {"id": u.pk, "name": str(u)} for u in contact.relationship_owners.all()
        ],
        "positions": [
            {**_row(p), "organisation_name": p.organisation.name if p.organisation_id else None}
            for p in contact.positions.select_related("organisation")
        ],
        "network_memberships": [
            {**_row(m), "network_name": m.network.name}
            for m in contact.memberships.select_related("network")
        ],
        "history": [
            _row(e, exclude=("pgh_context_id",))
            for e in contact_events.objects.filter(pgh_obj_id=contact.pk).order_by("pgh_id")
        ]
        + [
            _row(e, exclude=("pgh_context_id",))
            for e in position_events.objects.filter(contact_id=contact.pk).order_by("pgh_id")
        ],
        "access_log": [
            {
                "occurred_at": _plain(a.occurred_at),
                "user": str(a.user),
                "purpose": a.purpose,
                "target": a.target,
            }
            for a in access_log_about(contact.pk)
        ],
    }


# --- Lawful basis ----------------------------------------------------------------------------


@transaction.atomic
def set_lawful_basis(*, contact: Contact, lawful_basis: str, by: User) -> Contact:
    """Record on what basis the person's data is processed (usually the public task)."""
    if lawful_basis not in LawfulBasis.values:
        raise ValidationError({"lawful_basis": _("Choose a lawful basis.")})
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    contact.lawful_basis = lawful_basis
    with pghistory.context(user=by.pk, action="set_lawful_basis"):
        contact.save(update_fields=["lawful_basis", "updated_at"])
    return contact


# --- Retention review ------------------------------------------------------------------------


def retention_cutoff(years: int, now: datetime.datetime | None = None) -> datetime.datetime:
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def retention_review(*, years: int | None = None, now: datetime.datetime | None = None):
    """Contacts nobody has met in `years` years (or ever, and recorded that long ago).

    These are the candidates for anonymisation; the review itself is a person's decision.
    """
    years = years if years is not None else settings.GDPR_RETENTION_YEARS
    cutoff = retention_cutoff(years, now)
    return (
        Contact.objects.filter(anonymised_at__isnull=True)
        .filter(
            Q(last_interaction_at__lt=cutoff)
            | Q(last_interaction_at__isnull=True, created_at__lt=cutoff)
        )
        .select_related("organisation")
        # Not by last_interaction_at: the order would tell dates of meetings some cannot see.
        .order_by("last_name", "first_name", "id")
    )


# --- Scrubbing a person's identity out of free text ------------------------------------------

REDACTED = "[***]"
_SEPARATOR = r"[\s.()-]*"


@dataclass(frozen=True)
class IdentityPatterns:
    """Regular expressions that find one person's name, e-mail and phone in free text.

    `everywhere` (e-mail addresses and phone numbers) is safe to remove from any text, as it
    identifies no one else. `related` adds the name, which is removed only from records about
    the person (their meetings, follow-ups, reminders), so that a namesake keeps their name.
    `sql_*` are the same without word boundaries (PostgreSQL regular expressions know no
    look-behind): they pick the candidate rows, Python's versions then replace.
    """

    everywhere: tuple[str, ...]
    related: tuple[str, ...]

    def compiled(self, *, related: bool) -> list[re.Pattern]:
        sources = self.everywhere + (self.related if related else ())
        return [re.compile(rf"(?<!\w){p}(?!\w)", re.IGNORECASE) for p in sources]


def _phone_pattern(number: Any) -> str | None:
    try:
        parsed = phonenumbers.parse(str(number), settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    national = str(parsed.national_number)
    if len(national) < 5:
        return None
    digits = _SEPARATOR.join(national)
    country = str(parsed.country_code)
    # "+358 40 123 4567", "00358401234567", "040-123 4567"
    return rf"(?:(?:\+|00){country}{_SEPARATOR}(?:\(0\))?{_SEPARATOR}|0){digits}"


def _words(value: str) -> str:
    return r"\s+".join(re.escape(w) for w in value.split())


def _surname(value: str) -> str:
    """The last name with its Finnish inflections: a -nen name inflects on the stem -s-
    (Virtanen, Virtasen, Virtaselle); other names take endings (Koski, Koskinen is another)."""
    words = value.split()
    if words and len(words[-1]) > 4 and words[-1].lower().endswith("nen"):
        stem = _words(" ".join(words[:-1] + [words[-1][:-3]]))
        return rf"{stem}(?:nen|s\w*)"
    return rf"{_words(value)}\w*"


def identity_patterns(contact: Contact) -> IdentityPatterns:
    everywhere = [re.escape(e) for e in (contact.email, contact.secondary_email) if e]
    for number in (contact.phone, contact.mobile_phone):
        if number:
            pattern = _phone_pattern(number)
            if pattern:
                everywhere.append(pattern)
    related = []
    first, last = contact.first_name.strip(), contact.last_name.strip()
    if first and last:
        related += [
            rf"{_words(first)}\s+{_surname(last)}",
            rf"{_surname(last)},?\s+{_words(first)}",
        ]
    if len(last) >= 3:
        related.append(_surname(last))
    return IdentityPatterns(everywhere=tuple(everywhere), related=tuple(related))


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
        # Structured addresses and numbers are other people's own (a shared office address).
        and not isinstance(f, models.EmailField | models.URLField | PhoneNumberField)
        and not f.choices
        and not f.primary_key
        and not f.name.startswith("pgh_")
    ]


def _replace(value: Any, patterns: Sequence[re.Pattern]) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, list):
        return [_replace(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, patterns) for k, v in value.items()}
    return value


def scrub_text(
    querysets: Iterable[models.QuerySet], patterns: IdentityPatterns, *, related: bool
) -> int:
    """Replace the person's identity in every text field of the rows of `querysets`.

    Rows are found in the database by regular expression and rewritten one by one with
    `update()` (history triggers record the scrubbed value, never a new copy of the old one).
    Returns the number of rows changed.
    """
    sql_sources = patterns.everywhere + (patterns.related if related else ())
    if not sql_sources:
        return 0
    compiled = patterns.compiled(related=related)
    changed = 0
    for queryset in querysets:
        fields = _text_fields(queryset.model)
        if not fields:
            continue
        condition = Q()
        annotations = {}
        for field in fields:
            lookup = field.attname
            if isinstance(field, models.JSONField):
                lookup = f"_scrub_{field.attname}"
                annotations[lookup] = Cast(field.attname, models.TextField())
            for source in sql_sources:
                condition |= Q(**{f"{lookup}__iregex": source})
        candidates = queryset.annotate(**annotations).filter(condition)
        for row in candidates.only("pk", *[f.attname for f in fields]):
            updates = {}
            for field in fields:
                old = getattr(row, field.attname)
                new = _replace(old, compiled)
                if new != old:
                    updates[field.attname] = new
            if updates:
                changed += queryset.model._base_manager.filter(pk=row.pk).update(**updates)
    return changed


def scrub_directory(contact: Contact, patterns: IdentityPatterns) -> int:
    """Scrub the person out of the directory's free text and logs (not their own row).

    Related: the contact's own history rows and the admin log entries about the contact.
    Everywhere: e-mail addresses and phone numbers in every directory table and history table,
    in the history context (URLs) and in import previews not yet applied.
    """
    event_models = [
        apps.get_model("crm", name)
        for name in (
            "ContactEvent",
            "ContactPositionEvent",
            "OrganisationEvent",
            "NetworkEvent",
            "NetworkMembershipEvent",
            "UserEvent",
        )
    ]
    contact_type = ContentType.objects.get_for_model(Contact)
    context_model = apps.get_model("pghistory", "Context")
    changed = scrub_text(
        [
            # A preview that names the person is about them (or a namesake: they upload again).
            ImportBatch.objects.filter(state=ImportState.PREVIEWED),
            apps.get_model("crm", "ContactEvent").objects.filter(pgh_obj_id=contact.pk),
            apps.get_model("crm", "ContactPositionEvent").objects.filter(contact_id=contact.pk),
            contact.positions.all(),
            contact.memberships.all(),
            LogEntry.objects.filter(content_type=contact_type, object_id=str(contact.pk)),
        ],
        patterns,
        related=True,
    )
    changed += scrub_text(
        [
            Contact.objects.exclude(pk=contact.pk),
            Organisation.objects.all(),
            ImportBatch.objects.all(),
            LogEntry.objects.all(),
            context_model.objects.all(),
            *[m.objects.all() for m in event_models],
        ],
        patterns,
        related=False,
    )
    return changed

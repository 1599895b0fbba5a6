"""Import of contacts and organisations from the spreadsheets municipalities keep (CSV, XLSX).

Three steps, each its own function:

1. `read_table` turns the uploaded bytes into a header and rows of text, or raises
   `ImportFileError` with a message a person can act on (empty file, unknown encoding, old
   Excel format, missing columns, too many rows).
2. `plan_import` decides for every row: create, update (fill empty fields of the same person or
   organisation), skip (already known, or a duplicate of an earlier row), or error (a bad
   e-mail, phone, business ID...). It reads the directory and writes nothing.
3. `apply_import` runs the very same plan in one transaction, and only if the plan is still the
   one the user previewed (its digest is compared), so the preview is exactly the result.

`preview_import` stores the parsed rows in an `ImportBatch` between steps 2 and 3.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pghistory
import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.duplicates import email_key, fold, name_key
from crm.gdpr import record_access
from crm.models import (
    AccessPurpose,
    Contact,
    ImportBatch,
    ImportKind,
    ImportState,
    Municipality,
    Organisation,
    OrganisationKind,
    User,
)
from crm.rules import can_edit_directory
from crm.validators import normalise_business_id, validate_business_id

CREATE, UPDATE, SKIP, ERROR = "create", "update", "skip", "error"
# Key of the PostgreSQL advisory lock that serialises applying imports.
IMPORT_LOCK_KEY = 7_406_001


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


# --- Columns ---------------------------------------------------------------------------------
# Canonical field → header names accepted (compared folded: case, accents, punctuation ignored).

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("etunimi", "etunimet", "first name", "firstname", "given name"),
    "last_name": ("sukunimi", "last name", "lastname", "surname", "family name"),
    "title": ("titteli", "nimike", "tehtava", "asema", "virkanimike", "title", "position"),
    "organisation": ("organisaatio", "yritys", "yhteiso", "organisation", "organization"),
    "email": ("sahkoposti", "sposti", "email", "e mail", "email address"),
    "phone": ("puhelin", "puh", "puhelinnumero", "phone", "telephone"),
    "mobile_phone": ("matkapuhelin", "gsm", "kannykka", "mobile", "mobile phone"),
    "municipality": ("kunta", "kotikunta", "municipality"),
    "is_decision_maker": ("paattaja", "decision maker"),
    "notes": ("lisatiedot", "huomiot", "muistiinpanot", "notes"),
}
ORGANISATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("nimi", "organisaatio", "name", "organisation", "organization"),
    "kind": ("tyyppi", "laji", "organisaation tyyppi", "kind", "type"),
    "business_id": ("y tunnus", "ytunnus", "business id"),
    "website": ("verkkosivut", "verkkosivu", "www", "kotisivu", "website", "url"),
    "email": ("sahkoposti", "sposti", "email", "e mail"),
    "phone": ("puhelin", "puh", "phone", "telephone"),
    "municipality": ("kunta", "sijaintikunta", "municipality"),
    "parent": ("emo organisaatio", "emoorganisaatio", "ylempi organisaatio", "parent"),
    "notes": ("lisatiedot", "huomiot", "notes"),
}
REQUIRED = {ImportKind.CONTACTS: ("last_name",), ImportKind.ORGANISATIONS: ("name",)}
COLUMN_LABELS = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "title": gettext_lazy("title"),
    "organisation": gettext_lazy("organisation"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("phone"),
    "mobile_phone": gettext_lazy("mobile phone"),
    "municipality": gettext_lazy("municipality"),
    "is_decision_maker": gettext_lazy("decision-maker"),
    "notes": gettext_lazy("notes"),
    "name": gettext_lazy("name"),
    "kind": gettext_lazy("kind"),
    "business_id": gettext_lazy("business ID"),
    "website": gettext_lazy("website"),
    "parent": gettext_lazy("parent organisation"),
}

# Finnish words for organisation kinds, as spreadsheets write them.
KIND_ALIASES = {
    "ministerio": OrganisationKind.MINISTRY,
    "virasto": OrganisationKind.AGENCY,
    "valtion virasto": OrganisationKind.AGENCY,
    "maakuntaliitto": OrganisationKind.REGIONAL_COUNCIL,
    "maakunnan liitto": OrganisationKind.REGIONAL_COUNCIL,
    "liitto": OrganisationKind.REGIONAL_COUNCIL,
    "hyvinvointialue": OrganisationKind.WELLBEING_COUNTY,
    "eduskunta": OrganisationKind.PARLIAMENT,
    "puolue": OrganisationKind.PARTY,
    "yritys": OrganisationKind.COMPANY,
    "yhtio": OrganisationKind.COMPANY,
    "yhdistys": OrganisationKind.ASSOCIATION,
    "jarjesto": OrganisationKind.ASSOCIATION,
    "media": OrganisationKind.MEDIA,
    "kunta": OrganisationKind.MUNICIPALITY,
    "kaupunki": OrganisationKind.MUNICIPALITY,
    "muu": OrganisationKind.OTHER,
}
TRUE_WORDS = {"kylla", "k", "x", "1", "yes", "y", "true", "tosi"}
FALSE_WORDS = {"", "ei", "e", "0", "no", "n", "false", "epatosi", "-"}


def columns_for(kind: str) -> dict[str, tuple[str, ...]]:
    return CONTACT_COLUMNS if kind == ImportKind.CONTACTS else ORGANISATION_COLUMNS


# --- Reading the file ------------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ImportFileError(_("The file's characters cannot be read.")) from error
    if b"\x00" in data:
        raise ImportFileError(
            _("This is not a text (CSV) file. Upload a CSV file or an Excel workbook (.xlsx).")
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # What Excel on Finnish Windows saves as "CSV (semicolon separated)".
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "The file's character encoding is not recognised. Save it as "
                '"CSV UTF-8" and upload it again.'
            )
        ) from error


def _read_csv(data: bytes) -> list[list[Any]]:
    text = _decode(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] or sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}
        ) from error


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            _("The Excel file cannot be opened. Save it again as .xlsx or as CSV.")
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > settings.IMPORT_MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def read_table(data: bytes, file_name: str = "") -> Table:
    """The header and the non-empty rows of an uploaded CSV or XLSX file."""
    if not data or not data.strip():
        raise ImportFileError(_("The file is empty."))
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is too large (at most %(mb)d MB).")
            % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("Old Excel files (.xls) are not supported. Save the file as .xlsx or CSV.")
        )
    if data.startswith(b"PK\x03\x04") or file_name.lower().endswith((".xlsx", ".xlsm")):
        raw_rows = _read_xlsx(data)
    else:
        raw_rows = _read_csv(data)
    numbered = [
        (number, [_cell_text(v) for v in values]) for number, values in enumerate(raw_rows, start=1)
    ]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered:
        raise ImportFileError(_("The file is empty."))
    (_header_number, header), rows = numbered[0], numbered[1:]
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    if len(rows) > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(
            _("The file has too many rows (at most %(max)d). Split it into smaller files.")
            % {"max": settings.IMPORT_MAX_ROWS}
        )
    return Table(header=header, rows=rows)


def map_columns(header: Sequence[str], kind: str) -> tuple[dict[str, int], list[str]]:
    """Which column holds which field, and the headers that were not recognised."""
    aliases = {alias: name for name, names in columns_for(kind).items() for alias in names}
    aliases.update({fold(name): name for name in columns_for(kind)})
    mapping: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        name = aliases.get(fold(title))
        if name is None:
            if title:
                ignored.append(title)
            continue
        if name in mapping:
            raise ImportFileError(
                _('Two columns hold the %(field)s: "%(a)s" and "%(b)s". Remove one.')
                % {"field": COLUMN_LABELS[name], "a": header[mapping[name]], "b": title}
            )
        mapping[name] = index
    missing = [name for name in REQUIRED[kind] if name not in mapping]
    if missing:
        expected = ", ".join(f'"{columns_for(kind)[name][0]}"' for name in missing)
        found = ", ".join(f'"{h}"' for h in header if h) or "–"
        raise ImportFileError(
            _("Required column missing: %(expected)s. The file's columns: %(found)s.")
            % {"expected": expected, "found": found}
        )
    return mapping, ignored


def rows_as_dicts(table: Table, mapping: dict[str, int]) -> list[dict[str, str]]:
    result = []
    for number, cells in table.rows:
        row = {"row": number}
        for name, index in mapping.items():
            row[name] = cells[index] if index < len(cells) else ""
        result.append(row)
    return result


# --- Planning --------------------------------------------------------------------------------


@dataclass
class RowPlan:
    row: int
    action: str
    reasons: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # cleaned values of the row
    target_id: int | None = None  # the existing contact or organisation
    target_label: str = ""
    changes: dict[str, Any] = field(default_factory=dict)  # fields an update fills
    new_organisation: str = ""  # an organisation this row creates (contacts import)

    def key(self) -> list[Any]:
        return [self.row, self.action, self.target_id, sorted(self.changes.items()), self.values]


@dataclass
class ImportPlan:
    kind: str
    rows: list[RowPlan]
    ignored_columns: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in (CREATE, UPDATE, SKIP, ERROR)}

    @property
    def new_organisations(self) -> list[str]:
        seen: dict[str, str] = {}
        for r in self.rows:
            if r.new_organisation and r.action in (CREATE, UPDATE):
                seen.setdefault(fold(r.new_organisation), r.new_organisation)
        return list(seen.values())

    def digest(self) -> str:
        payload = json.dumps(
            [self.kind, [r.key() for r in self.rows]], sort_keys=True, default=str
        ).encode()
        return hashlib.sha256(payload).hexdigest()


_email_validator = EmailValidator()
_url_validator = URLValidator()


def _clean_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_('"%(value)s" is not a valid phone number.') % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean_email(value: str) -> str:
    try:
        _email_validator(value)
    except ValidationError as error:
        raise ValidationError(
            _('"%(value)s" is not a valid e-mail address.') % {"value": value}
        ) from error
    return value


def _check_text(row: dict[str, str], model, names: Sequence[str], errors: list[str]) -> None:
    for name, value in row.items():
        if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
            errors.append(
                _("%(field)s contains control characters.") % {"field": COLUMN_LABELS[name]}
            )
    if errors:
        return
    for name in names:
        value = row.get(name, "")
        max_length = model._meta.get_field(name).max_length
        if max_length and len(value) > max_length:
            errors.append(
                _("%(field)s is too long (at most %(max)d characters).")
                % {"field": COLUMN_LABELS[name], "max": max_length}
            )


class _Directory:
    """The parts of the directory that imports compare against, read once per plan."""

    def __init__(self, kind: str) -> None:
        self.municipalities = {fold(m.name): m.pk for m in Municipality.objects.all()}
        self.organisations_by_name: dict[str, list[int]] = {}
        self.organisations_by_business_id: dict[str, int] = {}
        self.organisations_by_parent_and_name: dict[tuple[str, str], list[int]] = {}
        organisations = Organisation.objects.select_related("parent").only(
            "pk", "name", "business_id", "parent__name"
        )
        self.organisation_rows = {}
        for o in organisations:
            self.organisations_by_name.setdefault(fold(o.name), []).append(o.pk)
            parent_key = fold(o.parent.name) if o.parent_id else ""
            self.organisations_by_parent_and_name.setdefault((parent_key, fold(o.name)), []).append(
                o.pk
            )
            if o.business_id:
                self.organisations_by_business_id[o.business_id] = o.pk
        if kind == ImportKind.ORGANISATIONS:
            self.organisation_rows = {o.pk: o for o in Organisation.objects.all()}
        self.contacts: dict[int, Contact] = {}
        self.contacts_by_email: dict[str, set[int]] = {}
        self.contacts_by_name: dict[tuple[int, str], set[int]] = {}
        if kind == ImportKind.CONTACTS:
            for c in Contact.objects.filter(anonymised_at__isnull=True):
                self.contacts[c.pk] = c
                for e in (c.email, c.secondary_email):
                    if email_key(e):
                        self.contacts_by_email.setdefault(email_key(e), set()).add(c.pk)
                if c.organisation_id:
                    self.contacts_by_name.setdefault(
                        (c.organisation_id, name_key(c.first_name, c.last_name)), set()
                    ).add(c.pk)


def _fill(existing: Any, values: dict[str, Any], names: Sequence[str], plan: RowPlan) -> None:
    """Fields an update fills: empty in the directory, given in the file. Never overwrites."""
    for name in names:
        new = values.get(name)
        if new in (None, "", False):
            continue
        old = getattr(existing, name)
        old_text = str(old) if old not in (None, "", False) else ""
        if not old_text:
            plan.changes[name] = new
        elif fold(old_text) != fold(str(new)):
            plan.reasons.append(
                _("%(field)s differs; the directory's value is kept.")
                % {"field": COLUMN_LABELS.get(name, name)}
            )


CONTACT_FILL_FIELDS = (
    "first_name",
    "title",
    "organisation_id",
    "email",
    "phone",
    "mobile_phone",
    "municipality_id",
    "is_decision_maker",
    "notes",
)


def _plan_contact(row: dict[str, str], directory: _Directory, seen: dict) -> RowPlan:
    plan = RowPlan(row=row["row"], action=CREATE)
    errors: list[str] = []
    _check_text(row, Contact, ["first_name", "last_name", "title", "email", "notes"], errors)
    values: dict[str, Any] = {
        name: row.get(name, "") for name in ("first_name", "last_name", "title", "notes")
    }
    if not values["last_name"]:
        errors.append(_("The last name is missing."))
    for name in ("email",):
        if row.get(name):
            try:
                values[name] = _clean_email(row[name])
            except ValidationError as error:
                errors.extend(error.messages)
    for name in ("phone", "mobile_phone"):
        if row.get(name):
            try:
                values[name] = _clean_phone(row[name])
            except ValidationError as error:
                errors.extend(error.messages)
    if row.get("municipality"):
        municipality_id = directory.municipalities.get(fold(row["municipality"]))
        if municipality_id is None:
            errors.append(_('Unknown municipality "%(name)s".') % {"name": row["municipality"]})
        values["municipality_id"] = municipality_id
    flag = fold(row.get("is_decision_maker", ""))
    if flag in TRUE_WORDS:
        values["is_decision_maker"] = True
    elif flag not in FALSE_WORDS:
        errors.append(
            _('Decision-maker should be "kyllä" or "ei", not "%(value)s".')
            % {"value": row["is_decision_maker"]}
        )
    organisation_name = row.get("organisation", "")
    organisation_key = fold(organisation_name)
    if len(organisation_name) > Organisation._meta.get_field("name").max_length:
        errors.append(_("The organisation's name is too long."))
    elif organisation_key:
        matches = directory.organisations_by_name.get(organisation_key, [])
        if len(matches) > 1:
            errors.append(
                _('Several organisations are called "%(name)s"; import this row by hand.')
                % {"name": organisation_name}
            )
        elif matches:
            values["organisation_id"] = matches[0]
        else:
            plan.new_organisation = organisation_name
            values["organisation_name"] = organisation_name
    if errors:
        plan.action, plan.reasons = ERROR, errors
        return plan
    plan.values = values

    # The same person earlier in this file?
    file_keys = [("email", email_key(values.get("email")))] if values.get("email") else []
    if organisation_key:
        file_keys.append(
            ("name", organisation_key, name_key(values["first_name"], values["last_name"]))
        )
    for key in file_keys:
        if key in seen:
            plan.action = SKIP
            plan.reasons.append(_("Duplicate of row %(row)d in this file.") % {"row": seen[key]})
            return plan
    for key in file_keys:
        seen[key] = plan.row

    # The same person in the directory?
    matches: dict[int, str] = {}
    if values.get("email"):
        for pk in directory.contacts_by_email.get(email_key(values["email"]), ()):
            matches[pk] = _("same e-mail address")
    if values.get("organisation_id"):
        key = (values["organisation_id"], name_key(values["first_name"], values["last_name"]))
        for pk in directory.contacts_by_name.get(key, ()):
            matches.setdefault(pk, _("same name at the same organisation"))
    if len(matches) > 1:
        plan.action = SKIP
        names = ", ".join(f"{directory.contacts[pk].full_name} (#{pk})" for pk in sorted(matches))
        plan.reasons.append(
            _("Matches several contacts (%(names)s); merge them in the duplicate finder first.")
            % {"names": names}
        )
        return plan
    if matches:
        [(pk, why)] = matches.items()
        existing = directory.contacts[pk]
        plan.target_id, plan.target_label = pk, existing.full_name
        plan.reasons.insert(0, _("Already in the directory: %(why)s.") % {"why": why})
        _fill(existing, values, CONTACT_FILL_FIELDS, plan)
        if plan.new_organisation and not existing.organisation_id:
            plan.changes["organisation_name"] = plan.new_organisation
        else:
            plan.new_organisation = ""
        plan.action = UPDATE if plan.changes else SKIP
        if plan.action == SKIP:
            plan.reasons.append(_("Nothing new to add."))
    elif plan.new_organisation:
        plan.reasons.append(
            _('New organisation "%(name)s" will be created.') % {"name": plan.new_organisation}
        )
    return plan


ORGANISATION_FILL_FIELDS = (
    "kind",
    "business_id",
    "website",
    "email",
    "phone",
    "municipality_id",
    "parent_id",
    "notes",
)


def _plan_organisation(row: dict[str, str], directory: _Directory, seen: dict) -> RowPlan:
    plan = RowPlan(row=row["row"], action=CREATE)
    errors: list[str] = []
    _check_text(row, Organisation, ["name", "email", "website", "notes"], errors)
    values: dict[str, Any] = {"name": row.get("name", ""), "notes": row.get("notes", "")}
    if not values["name"]:
        errors.append(_("The name is missing."))
    kind_text = fold(row.get("kind", ""))
    if kind_text:
        kinds = {fold(v): v for v in OrganisationKind.values}
        kinds.update({fold(str(label)): v for v, label in OrganisationKind.choices})
        kinds.update(KIND_ALIASES)
        if kind_text in kinds:
            values["kind"] = str(kinds[kind_text])
        else:
            errors.append(_('Unknown kind of organisation "%(value)s".') % {"value": row["kind"]})
    if row.get("business_id"):
        try:
            validate_business_id(row["business_id"])
            values["business_id"] = normalise_business_id(row["business_id"])
        except ValidationError as error:
            errors.extend(error.messages)
    if row.get("website"):
        website = row["website"]
        if "://" not in website:
            website = f"https://{website}"
        try:
            _url_validator(website)
            if len(website) > Organisation._meta.get_field("website").max_length:
                raise ValidationError("too long")
            values["website"] = website
        except ValidationError:
            errors.append(_('"%(value)s" is not a valid web address.') % {"value": row["website"]})
    if row.get("email"):
        try:
            values["email"] = _clean_email(row["email"])
        except ValidationError as error:
            errors.extend(error.messages)
    if row.get("phone"):
        try:
            values["phone"] = _clean_phone(row["phone"])
        except ValidationError as error:
            errors.extend(error.messages)
    if row.get("municipality"):
        municipality_id = directory.municipalities.get(fold(row["municipality"]))
        if municipality_id is None:
            errors.append(_('Unknown municipality "%(name)s".') % {"name": row["municipality"]})
        values["municipality_id"] = municipality_id
    parent_key = fold(row.get("parent", ""))
    if parent_key:
        parents = directory.organisations_by_name.get(parent_key, [])
        if len(parents) == 1:
            values["parent_id"] = parents[0]
        elif len(parents) > 1:
            errors.append(
                _('Several organisations are called "%(name)s".') % {"name": row["parent"]}
            )
        elif ("org_name", parent_key) in seen:
            values["parent_name"] = row["parent"]
        else:
            errors.append(
                _('Unknown parent organisation "%(name)s"; list it in an earlier row.')
                % {"name": row["parent"]}
            )
    if errors:
        plan.action, plan.reasons = ERROR, errors
        return plan
    plan.values = values

    name_k = fold(values["name"])
    file_keys = [("org", parent_key, name_k)]
    if values.get("business_id"):
        file_keys.append(("business_id", values["business_id"]))
    for key in file_keys:
        if key in seen:
            plan.action = SKIP
            plan.reasons.append(_("Duplicate of row %(row)d in this file.") % {"row": seen[key]})
            return plan
    for key in [*file_keys, ("org_name", name_k)]:
        seen.setdefault(key, plan.row)

    match_id = None
    if values.get("business_id"):
        match_id = directory.organisations_by_business_id.get(values["business_id"])
        why = _("same business ID")
    if match_id is None:
        candidates = directory.organisations_by_parent_and_name.get((parent_key, name_k), [])
        if len(candidates) > 1:
            plan.action = SKIP
            plan.reasons.append(_("Several organisations already have this name."))
            return plan
        match_id = candidates[0] if candidates else None
        why = _("same name")
    if match_id is not None:
        existing = directory.organisation_rows[match_id]
        plan.target_id, plan.target_label = match_id, existing.name
        plan.reasons.insert(0, _("Already in the directory: %(why)s.") % {"why": why})
        fill_values = dict(values)
        if fill_values.get("kind") == OrganisationKind.OTHER:
            fill_values.pop("kind")
        if existing.kind != OrganisationKind.OTHER:
            fill_values.pop("kind", None)
        elif "kind" in fill_values:
            plan.changes["kind"] = fill_values.pop("kind")
        _fill(existing, fill_values, ORGANISATION_FILL_FIELDS, plan)
        plan.action = UPDATE if plan.changes else SKIP
        if plan.action == SKIP:
            plan.reasons.append(_("Nothing new to add."))
    return plan


def plan_import(kind: str, rows: Sequence[dict[str, str]]) -> ImportPlan:
    """Decide every row against the directory as it is now. Reads only."""
    directory = _Directory(kind)
    seen: dict = {}
    planner = _plan_contact if kind == ImportKind.CONTACTS else _plan_organisation
    plans = []
    for row in rows:
        try:
            plans.append(planner(row, directory, seen))
        except Exception as error:  # a bad row is reported, never a crash
            plans.append(
                RowPlan(
                    row=row.get("row", 0),
                    action=ERROR,
                    reasons=[_("Unreadable row: %(e)s") % {"e": error}],
                )
            )
    return ImportPlan(kind=kind, rows=plans)


# --- Preview, apply, discard -----------------------------------------------------------------


def preview_import(
    *, by: User, data: bytes, file_name: str, kind: str
) -> tuple[ImportBatch, ImportPlan]:
    """Read the file and plan it; keep the rows for `apply_import`. Writes nothing else.

    Raises ImportFileError for a file that cannot be imported at all.
    """
    if not can_edit_directory(by):
        raise PermissionDenied(_("You may not import contacts."))
    if kind not in ImportKind.values:
        raise ImportFileError(_("Unknown kind of import."))
    purge_stale_previews()
    table = read_table(data, file_name)
    mapping, ignored = map_columns(table.header, kind)
    rows = rows_as_dicts(table, mapping)
    plan = plan_import(kind, rows)
    plan.ignored_columns = ignored
    batch = ImportBatch.objects.create(
        kind=kind,
        created_by=by,
        file_name=file_name[:200],
        rows=rows,
        plan_digest=plan.digest(),
        summary={**plan.counts, "ignored_columns": ignored},
    )
    matched = [r.target_id for r in plan.rows if r.target_id and kind == ImportKind.CONTACTS]
    if matched:
        # The preview shows these people's names: that is a view of their data.
        record_access(
            user=by, purpose=AccessPurpose.IMPORT, contacts=matched, target=f"import {batch.pk}"
        )
    return batch, plan


def batch_plan(batch: ImportBatch) -> ImportPlan:
    plan = plan_import(batch.kind, batch.rows)
    plan.ignored_columns = batch.summary.get("ignored_columns", [])
    return plan


class StalePreviewError(Exception):
    """The directory changed after the preview: the user must look at the new preview."""


@transaction.atomic
def apply_import(*, batch: ImportBatch, by: User, expected_digest: str = "") -> ImportPlan:
    """Write the previewed plan, all rows or none. Refuses when the plan is no longer the one
    the user saw (someone changed the directory in between): `expected_digest` is the digest
    of the plan shown to them, by default the one computed at upload."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.created_by_id != by.pk or not can_edit_directory(by):
        raise PermissionDenied(_("You may not apply this import."))
    if batch.state != ImportState.PREVIEWED:
        raise ValidationError(_("This import has already been applied or discarded."))
    # One import at a time: two concurrent ones could each create the same new person.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
    plan = batch_plan(batch)
    if plan.digest() != (expected_digest or batch.plan_digest):
        raise StalePreviewError(
            _(
                "The directory has changed since the preview. "
                "Check the new preview and confirm again."
            )
        )
    with pghistory.context(user=by.pk, action="import"):
        if batch.kind == ImportKind.CONTACTS:
            _apply_contacts(plan, by)
        else:
            _apply_organisations(plan, by)
    batch.state = ImportState.APPLIED
    batch.applied_at = timezone.now()
    batch.rows = []
    batch.summary = {**plan.counts, "ignored_columns": plan.ignored_columns}
    batch.save(update_fields=["state", "applied_at", "rows", "summary"])
    return plan


@transaction.atomic
def discard_import(*, batch: ImportBatch, by: User) -> None:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.created_by_id != by.pk:
        raise PermissionDenied(_("You may not discard this import."))
    if batch.state == ImportState.PREVIEWED:
        batch.state = ImportState.DISCARDED
        batch.rows = []
        batch.save(update_fields=["state", "rows"])


def purge_stale_previews(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Forget previews nobody confirmed: their rows hold personal data."""
    return ImportBatch.objects.filter(
        state=ImportState.PREVIEWED, created_at__lt=timezone.now() - older_than
    ).update(state=ImportState.DISCARDED, rows=[])


def _create_organisations(names: Sequence[str], by: User) -> dict[str, int]:
    created = Organisation.objects.bulk_create([Organisation(name=n) for n in names])
    return {fold(o.name): o.pk for o in created}


def _apply_contacts(plan: ImportPlan, by: User) -> None:
    new_organisations = _create_organisations(plan.new_organisations, by)
    creates = []
    for row in plan.rows:
        values = {k: v for k, v in row.values.items() if k != "organisation_name"}
        if row.action == CREATE:
            if row.new_organisation:
                values["organisation_id"] = new_organisations[fold(row.new_organisation)]
            creates.append(Contact(created_by=by, **values))
        elif row.action == UPDATE:
            changes = dict(row.changes)
            if "organisation_name" in changes:
                changes["organisation_id"] = new_organisations[
                    fold(changes.pop("organisation_name"))
                ]
            contact = Contact.objects.get(pk=row.target_id)
            for name, value in changes.items():
                setattr(contact, name, value)
            contact.save(update_fields=[*changes, "updated_at"])
    Contact.objects.bulk_create(creates, batch_size=1000)


def _apply_organisations(plan: ImportPlan, by: User) -> None:
    # Organisations of earlier rows, by name: parents of later rows.
    in_file: dict[str, int] = {}
    for row in plan.rows:
        if row.action == ERROR:
            continue
        values = dict(row.values)
        parent_name = values.pop("parent_name", None)
        if parent_name:
            values["parent_id"] = in_file[fold(parent_name)]
        if row.target_id:
            in_file.setdefault(fold(values["name"]), row.target_id)
        if row.action == CREATE:
            organisation = Organisation.objects.create(**values)
            in_file.setdefault(fold(organisation.name), organisation.pk)
        elif row.action == UPDATE:
            changes = dict(row.changes)
            organisation = Organisation.objects.get(pk=row.target_id)
            for name, value in changes.items():
                setattr(organisation, name, value)
            organisation.save(update_fields=[*changes, "updated_at"])

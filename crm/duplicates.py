"""Finding the same person twice: the keys both the import and the duplicate finder compare.

Two contacts are the same person when they share an e-mail address (case-insensitive), or when
they have the same name at the same organisation. Names are compared folded: case, accents and
Finnish letters (ä → a, ö → o, å → a), hyphens and extra spaces do not matter, so "Hämäläinen",
"HAMALAINEN" and a decomposed "Ha\u0308ma\u0308la\u0308inen" are one name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from crm.models import Contact


def fold(value: str | None) -> str:
    """Lower-case, without accents or punctuation, single-spaced."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return text.strip()


def name_key(first_name: str | None, last_name: str | None) -> str:
    return fold(f"{first_name or ''} {last_name or ''}")


def email_key(email: str | None) -> str:
    return (email or "").strip().casefold()


@dataclass
class DuplicateGroup:
    """Contacts that look like one person, oldest first, with the reasons why."""

    contacts: list[Contact]
    reasons: list[str] = field(default_factory=list)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def find_duplicate_contacts() -> list[DuplicateGroup]:
    """Groups of active contacts that share an e-mail or a name at the same organisation.

    Reads the directory's keys in one query and the grouped contacts in a second one.
    """
    rows = Contact.objects.filter(anonymised_at__isnull=True).values_list(
        "pk", "first_name", "last_name", "email", "secondary_email", "organisation_id"
    )
    first_by_key: dict[tuple, int] = {}
    reasons: dict[tuple[int, int], set[str]] = {}
    groups = _UnionFind()
    for pk, first, last, email, secondary, organisation_id in rows:
        keys = [("email", email_key(e)) for e in (email, secondary) if email_key(e)]
        if organisation_id is not None and name_key(first, last):
            keys.append(("name", organisation_id, name_key(first, last)))
        for key in keys:
            other = first_by_key.setdefault(key, pk)
            if other != pk:
                groups.union(other, pk)
                reasons.setdefault((min(other, pk), max(other, pk)), set()).add(key[0])
    members: dict[int, list[int]] = {}
    for pk in groups.parent:
        members.setdefault(groups.find(pk), []).append(pk)
    wanted = [pk for ids in members.values() if len(ids) > 1 for pk in ids]
    contacts = Contact.objects.select_related("organisation").in_bulk(wanted)
    result = []
    for root in sorted(members):
        ids = sorted(members[root])
        if len(ids) < 2:
            continue
        kinds = set().union(*(v for (a, _b), v in reasons.items() if groups.find(a) == root))
        labels = []
        if "email" in kinds:
            labels.append(_("same e-mail address"))
        if "name" in kinds:
            labels.append(_("same name at the same organisation"))
        result.append(DuplicateGroup(contacts=[contacts[i] for i in ids], reasons=labels))
    return result

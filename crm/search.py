"""Accent-insensitive text search shared by the querysets of both apps.

`text_search_q(text, fields)` matches when every word of `text` occurs in at least one of
`fields` (case- and accent-insensitive: "hameenlinna" finds "Hämeenlinna"). The querysets'
`.search(text)` methods build on it; a later issue may swap the implementation for trigram or
Finnish full-text search behind the same signatures.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from django.db.models import Q

MAX_TERMS = 8


def search_terms(text: str) -> list[str]:
    """The words of a query, without accents, NUL bytes or empty words; at most MAX_TERMS."""
    text = (text or "").replace("\x00", "")
    words = [_strip_accents(word) for word in text.split()]
    return [word for word in words if word][:MAX_TERMS]


def _strip_accents(word: str) -> str:
    # PostgreSQL's unaccent() is applied to the column; the query word is unaccented here so
    # that both sides compare without accents.
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def text_search_q(
    text: str, fields: Iterable[str], *, related: Callable[[str], Q] | None = None
) -> Q | None:
    """A Q that requires every word of `text` in one of `fields`; None for an empty query.

    `related(word)` may add a condition per word on related rows (an `Exists`, so that a match
    in several related rows does not repeat the row).
    """
    fields = list(fields)
    terms = search_terms(text)
    if not terms:
        return None
    condition = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__unaccent__icontains": term})
        if related is not None:
            any_field |= related(term)
        condition &= any_field
    return condition


def contains_q(field: str, term: str) -> Q:
    """One field contains one (already unaccented) word, accent-insensitively."""
    return Q(**{f"{field}__unaccent__icontains": term})

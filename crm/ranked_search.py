"""Accent-insensitive, typo-tolerant text search shared by the querysets' `search(text)` methods.

Every word of the query must match one of the fields: as a substring with accents ignored
(`unaccent` + `ILIKE`, so "hameenlinna" finds "Hämeenlinna"), or, for the name fields, by
trigram word similarity (so "Virtane" and "Virtanen" meet). Results are ranked by the best
trigram similarity of the whole query against the name fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.postgres.lookups import Unaccent
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Greatest

MAX_QUERY_LENGTH = 100
MAX_WORDS = 6
# Shorter words give too many accidental trigram neighbours.
MIN_FUZZY_WORD_LENGTH = 4


def clean_query(text: str | None) -> str:
    """What is left of user input to search with: no NUL bytes, bounded length and word count."""
    text = (text or "").replace("\x00", " ")[:MAX_QUERY_LENGTH]
    return " ".join(text.split()[:MAX_WORDS])


def search_queryset(
    queryset: QuerySet,
    text: str,
    *,
    name_fields: Sequence[str],
    other_fields: Sequence[str] = (),
) -> QuerySet:
    """Filter `queryset` to rows matching `text` and annotate `search_rank` (higher is better)."""
    text = clean_query(text)
    if not text:
        return queryset.none()
    condition = Q()
    for word in text.split():
        word_matches = Q()
        for field in (*name_fields, *other_fields):
            word_matches |= Q(**{f"{field}__unaccent__icontains": word})
        if len(word) >= MIN_FUZZY_WORD_LENGTH:
            for field in name_fields:
                word_matches |= Q(**{f"{field}__unaccent__trigram_word_similar": word})
        condition &= word_matches
    similarities = [
        TrigramWordSimilarity(Unaccent(Value(text)), Unaccent(F(field))) for field in name_fields
    ]
    rank = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
    return queryset.filter(condition).annotate(search_rank=rank)

"""Ranked, typo-tolerant text search behind the querysets' `search(text)` methods.

Builds on crm/search.py: every word of the query must match one of the fields as an
accent-insensitive substring (`unaccent` + `ILIKE`: "hameenlinna" finds "Hämeenlinna") or a
related row (`related`), as there; in addition a word of four letters or more may match a name
field by trigram word similarity (pg_trgm), so "Virtane" and "Jarvinne" still find "Virtanen"
and "Järvinen". Rows are annotated with `search_rank`, the best trigram similarity of the whole
query to the name fields, for ordering best first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib.postgres.lookups import Unaccent
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Greatest

from crm.search import Document, WordSimilar, search_terms

MAX_QUERY_LENGTH = 200
# Shorter words give too many accidental trigram neighbours.
MIN_FUZZY_WORD_LENGTH = 4


def clean_query(text: str | None) -> str:
    """What is left of user input to search with: no NUL bytes, bounded length, single spaces."""
    text = (text or "").replace("\x00", " ")[:MAX_QUERY_LENGTH]
    return " ".join(text.split())


def search_queryset(
    queryset: QuerySet,
    text: str,
    *,
    name_fields: Sequence[str],
    other_fields: Sequence[str] = (),
    related: Callable[[str], Q] | None = None,
) -> QuerySet:
    """Filter `queryset` to rows matching `text`, annotated with `search_rank` (higher is better).

    An empty query filters nothing (like crm.search.text_search_q).
    """
    terms = search_terms(clean_query(text))
    if not terms:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    condition = Q()
    for term in terms:
        term_matches = Q()
        for field in (*name_fields, *other_fields):
            term_matches |= Q(**{f"{field}__unaccent__icontains": term})
        if len(term) >= MIN_FUZZY_WORD_LENGTH:
            for field in name_fields:
                term_matches |= Q(**{f"{field}__unaccent__trigram_word_similar": term})
        if related is not None:
            term_matches |= related(term)
        condition &= term_matches
    query = " ".join(terms)
    similarities = [
        TrigramWordSimilarity(Unaccent(Value(query)), Unaccent(F(field))) for field in name_fields
    ]
    rank = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
    return queryset.filter(condition).annotate(search_rank=rank)


def fuzzy_name_match(term: str, name_fields: Sequence[str]) -> Q:
    """A misspelt word of four letters or more still matches a name by trigram word similarity.

    Combined with the indexed substring search of the querysets (crm.search): "Jarvinne" finds
    "Järvinen". The names are compared as the unaccented document the trigram index
    `trigram_index(*name_fields)` holds, so that the index serves the comparison: over plain
    unaccent() per column every row of the table was compared (20 ms on 5,000 contacts)."""
    if len(term) < MIN_FUZZY_WORD_LENGTH:
        return Q(pk__in=[])
    return Q(WordSimilar(Document(*(F(field) for field in name_fields)), term))


def rank_by_names(queryset: QuerySet, text: str, name_fields: Sequence[str]) -> QuerySet:
    """Annotate `search_rank`: the best trigram word similarity of the query to the names."""
    query = " ".join(search_terms(clean_query(text)))
    if not query:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    similarities = [
        TrigramWordSimilarity(Unaccent(Value(query)), Unaccent(F(field))) for field in name_fields
    ]
    rank = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
    return queryset.annotate(search_rank=rank)

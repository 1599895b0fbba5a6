"""Ranked, typo-tolerant text search behind the querysets' `search(text)` methods.

Builds on crm/search.py: every word of the query must match one of the fields as an
accent-insensitive substring (`unaccent` + `ILIKE`: "hameenlinna" finds "Hämeenlinna"); in
addition a word of four letters or more may match a name by trigram word similarity (pg_trgm),
so "Virtane" and "Jarvinne" still find "Virtanen" and "Järvinen". Rows are annotated with
`search_rank` for ordering best first. On a big table (contacts) `top_matches` lists only the
best SEARCH_TOP_N, found in tiers read off indexes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, ExpressionWrapper, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest

from crm.search import (
    SEARCH_TOP_N,
    Document,
    KuusikkoUnaccent,
    StartsWith,
    WordSimilar,
    document_contains,
    name_key,
    search_terms,
)

MAX_QUERY_LENGTH = 200
# A trigram index finds a word inside a text from three letters on; a shorter one only leads
# to the names it begins (top_matches).
MIN_CONTAINS_LENGTH = 3
# Shorter words give too many accidental trigram neighbours.
MIN_FUZZY_WORD_LENGTH = 4


def clean_query(text: str | None) -> str:
    """What is left of user input to search with: no NUL bytes, bounded length, single spaces."""
    text = (text or "").replace("\x00", " ")[:MAX_QUERY_LENGTH]
    return " ".join(text.split())


def fuzzy_name_match(term: str, name_fields: Sequence[str]) -> Q:
    """A misspelt word of four letters or more still matches a name by trigram word similarity.

    Combined with the indexed substring search of the querysets (crm.search): "Jarvinne" finds
    "Järvinen". The names are compared as the unaccented document the trigram index
    `trigram_index(*name_fields)` holds, so that the index serves the comparison: over plain
    unaccent() per column every row of the table was compared (20 ms on 5,000 contacts)."""
    if len(term) < MIN_FUZZY_WORD_LENGTH:
        return Q(pk__in=[])
    return Q(WordSimilar(Document(*(F(field) for field in name_fields)), term))


def name_similarity(query: str, name_fields: Sequence[str]):
    """The best trigram word similarity (0 to 1) of `query`, already unaccented
    (crm.search.search_terms), to one of the names, unaccented as the indexes have them."""
    similarities = [
        TrigramWordSimilarity(Value(query), KuusikkoUnaccent(F(field))) for field in name_fields
    ]
    return similarities[0] if len(similarities) == 1 else Greatest(*similarities)


def top_matches(
    queryset: QuerySet,
    text: str,
    *,
    prefix_fields: Sequence[str],
    name_fields: Sequence[str],
    term_matches: Callable[[str], Q],
    other_matches: Callable[[str, bool], Sequence[Q]],
    limit: int = SEARCH_TOP_N,
) -> QuerySet:
    """The best `limit` rows of `queryset` matching every word of `text`, annotated with
    `search_rank` (higher is better): never every match of a common word (issue 8).

    The longest word leads. The rows are found in tiers, best first, each read off an index
    and cut at `limit`:

    3, 2 … a name of `prefix_fields` begins with the word (`name_key` B-tree index, in name
       order: 'Hänni' lists Hänni, Hänninen, Hännijärvi … from the start of the range);
    1      the names contain it elsewhere (the trigram index over `name_fields`);
    0      it matches only as one of `other_matches(word, similar)` says (other fields,
           related rows, each its own index; with `similar`, a similar name: only when no
           name holds the words as typed), or another word matches only outside the names
           (`term_matches(word)`).

    The name tiers, where every other word is in the names too, are one query, which
    PostgreSQL stops as soon as `limit` ids are found; the last tier is a second query, only
    when they found fewer (and, for several words, none), its branches cut at `limit` each.
    A word shorter than a trigram (MIN_CONTAINS_LENGTH) leads only to the names it begins: no
    index finds it inside a text.
    The queryset returned holds those ids; within a tier the names most similar to the query
    come first. Filter the queryset before searching: the top rows are the top of the
    queryset given.
    """
    terms = search_terms(clean_query(text))
    if not terms:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    lead_at = max(range(len(terms)), key=lambda i: (len(terms[i]), -i))
    lead, others = terms[lead_at], terms[:lead_at] + terms[lead_at + 1 :]
    ids = queryset.order_by().values_list("pk", flat=True)
    others_in_names = Q()
    for term in others:
        others_in_names &= document_contains(name_fields, term)
    found = name_tier_ids(
        ids.filter(others_in_names),
        lead,
        prefix_fields=prefix_fields,
        name_fields=name_fields,
        limit=limit,
    )
    in_names = document_contains(name_fields, lead)
    room = limit - len(found)
    # Several words that the names hold (a full name) are answered by the names alone: their
    # other ways to match (an e-mail address holds the names too) cost a look at every row
    # the longest word finds (tier L: 'seppo kallio' 0.5 s).
    if room > 0 and len(lead) >= MIN_CONTAINS_LENGTH and not (others and found):
        matching = ids
        for term in others:
            matching = matching.filter(term_matches(term))
        branches = [
            matching.filter(condition & ~in_names) for condition in other_matches(lead, not found)
        ]
        if others:
            branches.insert(0, matching.filter(in_names & ~others_in_names))
        # In id order, so that every page of a search lists the same rows.
        cut = [branch.order_by("pk")[:room] for branch in branches]
        found += cut[0].union(*cut[1:], all=True)[:room]

    prefixes = [Q(StartsWith(name_key(field), lead.lower())) for field in prefix_fields]
    tier = Case(
        *(
            When(prefix, then=Value(float(len(prefixes) - at + 1)))
            for at, prefix in enumerate(prefixes)
        ),
        When(in_names, then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    similarity = name_similarity(" ".join(terms), name_fields)
    rank = ExpressionWrapper(tier + similarity, output_field=FloatField())
    return queryset.filter(pk__in=found).annotate(search_rank=rank)


def name_tier_ids(
    ids: QuerySet,
    word: str,
    *,
    prefix_fields: Sequence[str],
    name_fields: Sequence[str],
    limit: int = SEARCH_TOP_N,
) -> list:
    """The ids (of `ids`, a `values_list("pk", flat=True)` queryset) of at most `limit` rows
    whose names match `word` (unaccented), best tier first (`top_matches`): the names of
    `prefix_fields` that begin with it, in name order, then the names that contain it. One
    query, which PostgreSQL stops as soon as `limit` ids are found."""
    prefixes = [Q(StartsWith(name_key(field), word.lower())) for field in prefix_fields]
    tiers = []
    for at, field in enumerate(prefix_fields):
        condition = prefixes[at]
        for earlier in prefixes[:at]:
            condition &= ~earlier
        tiers.append(ids.filter(condition).order_by(name_key(field), "pk")[:limit])
    if len(word) >= MIN_CONTAINS_LENGTH:
        elsewhere_in_names = document_contains(name_fields, word)
        for prefix in prefixes:
            elsewhere_in_names &= ~prefix
        tiers.append(ids.filter(elsewhere_in_names).order_by("pk")[:limit])
    return list(tiers[0].union(*tiers[1:], all=True)[:limit])

"""Accent-insensitive text search shared by the querysets of both apps.

`text_search_q(text, fields)` matches when every word of `text` occurs in at least one of
`fields` (case- and accent-insensitive: "hameenlinna" finds "Hämeenlinna"). The querysets'
`.search(text)` methods of the big tables (contacts, organisations, meetings) use the indexed
expressions below instead: trigram GIN indexes over an immutable unaccent wrapper and a Finnish
full-text index.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db.models import F, Func, Index, Lookup, Q, TextField
from django.db.models.functions import Collate, Lower

MAX_TERMS = 8
# A search of a big table lists its best matches only, never every match (issue 8).
SEARCH_TOP_N = 200


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


# --- Indexed search (issue 8) ------------------------------------------------------------------
#
# PostgreSQL's unaccent() is STABLE (it depends on the search_path), so it cannot appear in an
# index. The migration crm 0006 creates `kuusikko_unaccent(text)`, an IMMUTABLE SQL wrapper that
# names its dictionary (`public.unaccent`) explicitly; indexes and queries use that same
# expression, so the planner matches them. Trigram GIN indexes (pg_trgm, gin_trgm_ops) serve
# `ILIKE '%word%'` on it: a substring search that stays fast on millions of rows. Where the
# migrating role is a superuser, crm 0009 makes the wrapper one the planner inlines (a SQL
# function call per value cost 15 times unaccent() itself).


class KuusikkoUnaccent(Func):
    """`kuusikko_unaccent(text)`: unaccent() fit for an index (crm migrations 0006, 0009)."""

    function = "kuusikko_unaccent"
    output_field = TextField()


class Document(Func):
    """Several text columns joined by spaces, unaccented: one trigram-indexed expression."""

    template = "kuusikko_unaccent(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()


class FinnishDocument(Func):
    """`to_tsvector('finnish', a || ' ' || b ...)`: the Finnish full-text expression."""

    template = "to_tsvector('finnish'::regconfig, %(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = SearchVectorField()


def trigram_index(*fields: str, name: str) -> GinIndex:
    """A trigram GIN index over the unaccented join of `fields` (see `document_contains`)."""
    return GinIndex(
        OpClass(Document(*(F(field) for field in fields)), name="gin_trgm_ops"), name=name
    )


def document_contains(fields: Iterable[str], term: str) -> Q:
    """The unaccented join of `fields` contains `term` (already unaccented), any case.

    Uses the trigram index built by `trigram_index(*fields)`; a word contains no space, so a
    match never spans two fields."""
    document = Document(*(F(field) for field in fields))
    return Q(ILikeContains(document, term))


def name_key(field: str) -> Collate:
    """`lower(kuusikko_unaccent(field)) COLLATE "C"`: a name as the search compares it.

    A B-tree index over it (with the id: `name_key_index`) finds the names that begin with a
    word as a range of the index, in order: the first page of a common surname without reading
    every match (`StartsWith`). The "C" collation makes `LIKE 'word%'` a range scan under any
    database collation."""
    return Collate(Lower(KuusikkoUnaccent(F(field))), "C")


def name_key_index(field: str, *, name: str) -> Index:
    """The B-tree index `(name_key(field), id)` that `StartsWith` and its order use."""
    return Index(name_key(field), F("id"), name=name)


class StartsWith(Lookup):
    """`lhs LIKE 'term%'`: the form a B-tree index over a "C"-collated key serves as a range.
    `term` is already unaccented and lower-case, like `name_key`."""

    lookup_name = "key_starts_with"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = connection.ops.prep_for_like_query(self.rhs) + "%"
        return f"{lhs} LIKE %s", (*lhs_params, pattern)


class ILikeContains(Lookup):
    """`lhs ILIKE '%term%'`, the form a trigram GIN index serves (icontains uses UPPER())."""

    lookup_name = "ilike_contains"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = "%" + connection.ops.prep_for_like_query(self.rhs) + "%"
        return f"{lhs} ILIKE %s", (*lhs_params, pattern)


class WordSimilar(Lookup):
    """`lhs %> term`: some word of lhs is similar to `term` (pg_trgm word_similarity over
    pg_trgm.word_similarity_threshold, 0.6 by default) — served by the same trigram index."""

    lookup_name = "word_similar_to"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} %%> %s", (*lhs_params, self.rhs)


class FinnishMatches(Lookup):
    """`lhs @@ to_tsquery('finnish', query)`."""

    lookup_name = "finnish_matches"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @@ to_tsquery('finnish'::regconfig, %s)", (*lhs_params, self.rhs)


def raw_search_words(text: str) -> list[str]:
    """The words of a query as typed (accents kept, for the Finnish stemmer); at most MAX_TERMS."""
    text = (text or "").replace("\x00", "")
    return [word for word in text.split() if _strip_accents(word)][:MAX_TERMS]


def finnish_prefix_query(term: str) -> str | None:
    """A `to_tsquery('finnish', ...)` string for one word as a prefix (`ympäristö:*`), or None
    when the word has no letters or digits to search for."""
    cleaned = "".join(char for char in term if char.isalnum())
    return f"{cleaned}:*" if cleaned else None

"""WHAT and WHEN: topics, goals and endorsements, meetings, follow-ups, reminders."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pgtrigger
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import connection, models
from django.db.models import (
    Exists,
    Expression,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.db.compiled import ID_ARRAY_MARKER, CompiledLookup, id_array, in_ids
from crm.history import tracked
from crm.models import Contact, Municipality, Organisation, Role, Tag, User
from crm.search import (
    SEARCH_TOP_N,
    FinnishMatches,
    KuusikkoUnaccent,
    document_contains,
    finnish_prefix_query,
    raw_search_words,
    search_terms,
    text_search_q,
    trigram_index,
)


class SubqueryCount(Subquery):
    """The number of rows of a (correlated) subquery, as one scalar subquery: counts per row of
    a list in the list's own query, whatever the number of rows."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = models.IntegerField()


class SubqueryMax(Subquery):
    """The latest value of a (correlated) one-column subquery. An aggregate, not ORDER BY ...
    LIMIT 1: with a LIMIT the planner tends to walk the whole table in index order looking for
    the row's first match (7 ms per contact on 10,000 meetings); MAX starts from the link."""

    template = "(SELECT MAX(_latest.%(column)s) FROM (%(subquery)s) _latest)"


USER_NAME_FIELDS = ("id", "username", "first_name", "last_name")

# --- Topics and goals ------------------------------------------------------------------------


class TopicStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    CLOSED = "closed", _("closed")


class Priority(models.IntegerChoices):
    LOW = 1, _("low")
    NORMAL = 2, _("normal")
    HIGH = 3, _("high")


class InUseManager(models.Manager):
    """The rows nobody removed. A topic or goal that a coordinator deletes while only meetings
    or follow-ups hidden from them use it is removed instead (`removed_at`): kept for those
    records' links, shown to no one, so that the deletion answers as for an unused one and
    reveals nothing of what the coordinator may not see (advocacy.services.delete_topic)."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class TopicQuerySet(models.QuerySet):
    def search(self, text: str) -> TopicQuerySet:
        condition = text_search_q(text, ["name", "description"])
        return self if condition is None else self.filter(condition)

    def for_list(self, user) -> TopicQuerySet:
        """Topics with owner, municipalities and tags; goals counted, and the meetings `user`
        may see."""
        return (
            self.select_related("owner")
            .prefetch_related(
                Prefetch("municipalities", queryset=Municipality.objects.only("id", "name")),
                Prefetch("tags", queryset=Tag.objects.only("id", "name")),
            )
            .annotate(
                goal_count=SubqueryCount(Goal.objects.filter(topic=OuterRef("pk")).values("pk")),
                meeting_count=Meeting.objects.visible_to(user).count_for("topics"),
            )
        )


@tracked()
class Topic(models.Model):
    """A lobbying theme, e.g. transport links or integration of newcomers."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_topics",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TopicStatus.choices, default=TopicStatus.ACTIVE
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    municipalities = models.ManyToManyField(
        Municipality, verbose_name=_("municipalities concerned"), blank=True, related_name="topics"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="topics")
    # The transparency register describes each topic in 50-600 characters or by the number of a
    # Government project (hankenumero); see advocacy/transparency.py.
    register_subject = models.TextField(
        _("subject in the transparency register"),
        blank=True,
        help_text=_("50–600 characters; the description is used when empty."),
    )
    government_project = models.CharField(
        _("Government project number"), max_length=50, blank=True, help_text=_("e.g. VN/1234/2026")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set when deleted while only records hidden from the deleter used it (InUseManager).
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True, editable=False)

    objects = InUseManager.from_queryset(TopicQuerySet)()
    all_objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-priority", "name"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(removed_at__isnull=True),
                name="topic_name_unique",
                violation_error_message=_("A topic with this name already exists."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=TopicStatus.values), name="topic_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="topic_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GoalStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ACTIVE = "active", _("active")
    ACHIEVED = "achieved", _("achieved")
    DROPPED = "dropped", _("dropped")


class GoalQuerySet(models.QuerySet):
    def open(self) -> GoalQuerySet:
        return self.filter(status__in=[GoalStatus.PROPOSED, GoalStatus.ACTIVE])

    def search(self, text: str) -> GoalQuerySet:
        condition = text_search_q(text, ["title", "description", "topic__name"])
        return self if condition is None else self.filter(condition)

    def for_list(self, user) -> GoalQuerySet:
        """Goals with topic, owner and endorsements; the meetings `user` may see counted."""
        return (
            self.select_related("topic", "owner")
            .prefetch_related(
                Prefetch(
                    "endorsements",
                    queryset=GoalEndorsement.objects.select_related("municipality"),
                )
            )
            .annotate(meeting_count=Meeting.objects.visible_to(user).count_for("goals"))
        )

    def for_detail(self, user) -> GoalQuerySet:
        """A goal's page: its progress trail too."""
        return self.for_list(user).prefetch_related(
            Prefetch(
                "progress_trail",
                queryset=GoalProgress.objects.select_related("author").order_by(
                    "-created_at", "-id"
                ),
            )
        )


@tracked()
class Goal(models.Model):
    """A concrete, dated objective under a topic; may be a joint position of municipalities."""

    topic = models.ForeignKey(
        Topic,
        verbose_name=_("topic"),
        on_delete=models.PROTECT,  # a topic with goals is closed, not deleted
        related_name="goals",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=GoalStatus.choices, default=GoalStatus.PROPOSED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_goals",
    )
    endorsing_municipalities = models.ManyToManyField(
        Municipality,
        through="GoalEndorsement",
        verbose_name=_("endorsing municipalities"),
        blank=True,
        related_name="endorsed_goals",
    )
    # Incremented by every update service (crm.versioning): no lost updates.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set when deleted while only records hidden from the deleter used it (InUseManager).
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True, editable=False)

    objects = InUseManager.from_queryset(GoalQuerySet)()
    all_objects = GoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["target_date", "title"]
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goal_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="goal_progress_percent"
            ),
            models.UniqueConstraint(
                fields=["topic", "title"],
                condition=Q(removed_at__isnull=True),
                name="goal_title_unique_per_topic",
                violation_error_message=_("The topic already has a goal of this title."),
            ),
        ]
        indexes = [
            models.Index(fields=["topic", "status"], name="goal_topic_status"),
            models.Index(fields=["owner", "status"], name="goal_owner_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (GoalStatus.PROPOSED, GoalStatus.ACTIVE)


class EndorsementState(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ENDORSED = "endorsed", _("endorsed")
    DECLINED = "declined", _("declined")


@tracked()
class GoalEndorsement(models.Model):
    """One municipality's position on a joint goal, as decided by one of its bodies."""

    goal = models.ForeignKey(
        Goal, verbose_name=_("goal"), on_delete=models.CASCADE, related_name="endorsements"
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=EndorsementState.choices,
        default=EndorsementState.PROPOSED,
    )
    deciding_body = models.CharField(
        _("deciding body"), max_length=100, blank=True, help_text=_("e.g. kunnanhallitus")
    )
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    minutes_reference = models.CharField(
        _("minutes reference"), max_length=100, blank=True, help_text=_("e.g. KH 12.3.2026 § 45")
    )

    class Meta:
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        ordering = ["goal", "municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "municipality"],
                name="endorsement_one_per_municipality",
                violation_error_message=_("This municipality already has a position on the goal."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=EndorsementState.values), name="endorsement_state_valid"
            ),
            # A decided position (endorsed or declined) records when it was decided.
            models.CheckConstraint(
                condition=Q(state=EndorsementState.PROPOSED) | Q(decision_date__isnull=False),
                name="endorsement_decision_dated",
                violation_error_message=_("Give the decision date of an endorsement or a refusal."),
            ),
        ]
        indexes = [models.Index(fields=["municipality", "state"], name="endorsement_muni_state")]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.get_state_display()}"


class GoalProgress(models.Model):
    """An entry of a goal's progress trail: a status or percentage change with a note.

    Append-only by design (written by `advocacy.services.record_goal_progress`).
    """

    goal = models.ForeignKey(
        Goal, verbose_name=_("goal"), on_delete=models.CASCADE, related_name="progress_trail"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=GoalStatus.choices)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress trail")
        ordering = ["goal", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values), name="goal_progress_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="goal_progress_entry_percent"
            ),
        ]
        indexes = [models.Index(fields=["goal", "-created_at"], name="goal_progress_goal_time")]

    def __str__(self) -> str:
        return f"{self.goal}: {self.progress} %"


# --- Meetings --------------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    """Contact methods of the Finnish transparency register, plus events."""

    IN_PERSON = "in_person", _("face-to-face meeting")
    ONLINE = "online", _("online meeting")
    PHONE = "phone", _("phone call")
    EMAIL = "email", _("e-mail")
    TEXT_MESSAGE = "text_message", _("text message")
    SOCIAL_MEDIA = "social_media", _("messaging or social media")
    EVENT = "event", _("event")
    OTHER = "other", _("other")


class Visibility(models.TextChoices):
    JOINT = "joint", _("all six municipalities")
    MUNICIPALITY = "municipality", _("my municipality and the coordinator")
    RESTRICTED = "restricted", _("participants only")


# The columns of the meetings' search expressions (meeting_search_trgm, meeting_finnish_fts).
MEETING_SEARCH_FIELDS = ("title", "place", "notes", "outcomes")

# The meeting's fields that decide who may see it (visibility_rule), and its time: copied onto
# each of its participant rows (MeetingContact), so that a contact's meetings one may see are
# counted from the contact's own rows alone (ContactViewSet's meeting_count and last_met_at).
MEETING_COPIED_COLUMNS = {
    "meeting_occurred_at": "occurred_at",
    "meeting_visibility": "visibility",
    "meeting_municipality_id": "municipality_id",
    "meeting_author_id": "author_id",
}
MEETING_FTS_FIELDS = ("title", "notes", "outcomes")
# The plain columns of a meetings list row (MeetingQuerySet.list_rows).
MEETING_ROW_FIELDS = (
    "id",
    "occurred_at",
    "kind",
    "title",
    "place",
    "notes",
    "outcomes",
    "visibility",
    "author_id",
    "municipality_id",
    "version",
    "created_at",
    "updated_at",
)
# Shorter words are not looked up by similarity: too many false friends.
SIMILAR_WORD_MIN_LENGTH = 5
# The most similar words of the meetings' vocabulary a word also finds (MeetingSearchWord).
SIMILAR_WORDS = 20
# MeetingSearchWord keeps a long token as pieces of WORD_PIECE characters, each starting
# WORD_PIECE_STEP after the last: a search word of up to WORD_PIECE_STEP characters lies
# whole within one piece (migration advocacy 0012, kuusikko_meeting_words).
WORD_PIECE, WORD_PIECE_STEP = 200, 100
# The words of a meeting (alias `{0}`), for the trigger and the rebuild: its searchable text's
# tokens in lower case (the SQL function of migration advocacy 0012), in a FROM clause.
MEETING_TEXT_SQL = " || ' ' || ".join("{0}" + field for field in MEETING_SEARCH_FIELDS)
MEETING_WORDS_SQL = f"kuusikko_meeting_words({MEETING_TEXT_SQL}) AS word"


# The SQL of MeetingSearchWordQuerySet: fixed text of our own, every value bound.
_WORD = "kuusikko_unaccent(word)"
_CONTAINS_SQL = (
    "EXISTS (SELECT 1 FROM advocacy_meetingsearchword WHERE kuusikko_unaccent(word) ILIKE %s)"
)
_SIMILAR_SQL = (
    f"ARRAY(SELECT word FROM advocacy_meetingsearchword WHERE {_WORD} %%> %s "  # noqa: S608  # nosec B608: fixed SQL, values bound
    f"ORDER BY {_WORD} <->> %s, word LIMIT %s)"
)
# Whether the Finnish prefix query finds every word (a whole token) that contains the search
# word: then the meetings' full-text index finds every meeting that holds it in its title,
# notes or outcomes (a whitespace-delimited token is parsed alone as in its text).
_PREFIX_COVERS_SQL = (
    "NOT EXISTS (SELECT 1 FROM advocacy_meetingsearchword WHERE kuusikko_unaccent(word) "
    "ILIKE %s AND NOT (length(word) <= %s "
    "AND to_tsvector('finnish'::regconfig, word) @@ to_tsquery('finnish'::regconfig, %s)))"
)
_RESTORE_SQL = (
    "INSERT INTO advocacy_meetingsearchword (word) SELECT DISTINCT word "  # noqa: S608  # nosec B608: fixed SQL, values bound
    f"FROM advocacy_meeting AS m, {MEETING_WORDS_SQL.format('m.')} "
    f"WHERE ({MEETING_TEXT_SQL.format('m.')}) ~* ANY(%s) "
    "AND word ~* ANY(%s) ORDER BY word ON CONFLICT (word) DO NOTHING"
)
_REBUILD_SQL = [
    # (Dropped at commit; this drop is for a second rebuild in the same transaction.)
    "DROP TABLE IF EXISTS pg_temp.current_meeting_words",
    "CREATE TEMPORARY TABLE current_meeting_words ON COMMIT DROP AS "  # noqa: S608  # nosec B608: fixed SQL
    f"SELECT DISTINCT word FROM advocacy_meeting AS m, {MEETING_WORDS_SQL.format('m.')}",
    "CREATE INDEX ON current_meeting_words (word)",
    "DELETE FROM advocacy_meetingsearchword AS kept WHERE NOT EXISTS "  # noqa: S608  # nosec B608: fixed SQL
    "(SELECT 1 FROM current_meeting_words AS now WHERE now.word = kept.word) "
    "AND NOT EXISTS (SELECT 1 FROM advocacy_meeting AS m "
    "WHERE m.updated_at >= now() - interval '1 minute' "
    f"AND kept.word IN (SELECT word FROM {MEETING_WORDS_SQL.format('m.')}))",
    "INSERT INTO advocacy_meetingsearchword (word) SELECT word FROM current_meeting_words "
    "ORDER BY word ON CONFLICT (word) DO NOTHING",
]


@dataclass(frozen=True)
class WordLookup:
    """What the meetings' vocabulary says of one search word (MeetingSearchWord.lookup)."""

    contains: bool  # some meeting's text contains the word
    prefix_covers: bool  # the Finnish prefix query finds every word of theirs that contains it
    similar: list[str]  # their words most similar to it, most similar first


class MeetingSearchWordQuerySet(models.QuerySet):
    def lookup(self, term: str, *, similar: bool, prefix_query: str | None) -> WordLookup:
        """What the vocabulary says of a search word, `term` unaccented: whether some
        meeting's text contains it (any case); with `prefix_query` (the word's Finnish prefix
        query), whether that query finds every word that contains it; with `similar`, the
        SIMILAR_WORDS words of the meetings most similar to it (trigram word similarity),
        most similar first. One query on the vocabulary, never on the meetings.

        The vocabulary is every meeting's, also of those the caller may not see: it only
        decides which branches a search runs, and every branch looks among the caller's
        meetings (`_meeting_ids_matching`)."""
        if len(term) > WORD_PIECE_STEP:
            # Longer than a piece: not decided by the vocabulary.
            return WordLookup(contains=True, prefix_covers=False, similar=[])
        pattern = "%" + connection.ops.prep_for_like_query(term) + "%"
        columns, params = [_CONTAINS_SQL], [pattern]
        if prefix_query:
            columns.append(_PREFIX_COVERS_SQL)
            params += [pattern, WORD_PIECE_STEP, prefix_query]
        if similar:
            columns.append(_SIMILAR_SQL)
            params += [term, term, SIMILAR_WORDS]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)}", params)
            row = list(cursor.fetchone())
        return WordLookup(
            contains=row.pop(0),
            prefix_covers=row.pop(0) if prefix_query else False,
            similar=row.pop(0) if similar else [],
        )

    def forget(self, patterns: Sequence[str]) -> None:
        """Let go of the words that match any of the PostgreSQL regular expressions
        `patterns` (case-insensitive), keeping those some meeting's text still holds: after
        a person's identity is scrubbed from the texts (advocacy.gdpr), no word of it stays
        here, while a namesake's meetings keep theirs."""
        if not patterns:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM advocacy_meetingsearchword WHERE word ~* ANY(%s)", [list(patterns)]
            )
            cursor.execute(_RESTORE_SQL, [list(patterns), list(patterns)])

    def rebuild(self) -> None:
        """The vocabulary as the meetings' texts are now: the words of deleted, changed or
        anonymised texts go (the trigger only adds), missing ones come (after a bulk load
        that had the trigger off, seed_demo). Run it in a transaction.

        The words are gathered first (every meeting read once: minutes at tier L) without
        holding any word, so that a meeting logged meanwhile waits at most for the two short
        statements at the end; a word is then let go only if neither that reading nor a
        meeting changed since the transaction began holds it."""
        with connection.cursor() as cursor:
            for statement in _REBUILD_SQL:
                cursor.execute(statement)


class MeetingSearchWord(models.Model):
    """A word of some meeting's title, place, notes or outcomes, in lower case with its accents
    (a token between white space; a long one in pieces): the meetings' vocabulary, kept by the
    trigger `meeting_search_words` on every insert and text change.

    Meeting search asks it first (`MeetingSearchWordQuerySet.lookup`): a word no meeting
    contains needs no look through the meetings' trigram index, whose candidates for a word of
    common trigrams are a hundred thousand meetings at tier L, each rechecked over its whole
    text (seconds); and the words similar to a search word (`kokouksessa` to `kokous`) come
    from here in a millisecond, then found in the meetings by the full-text index. Words of
    deleted or changed texts stay until `rebuild()`."""

    word = models.TextField(_("word"), primary_key=True)

    objects = MeetingSearchWordQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting search word")
        verbose_name_plural = _("meeting search words")
        indexes = [
            # Written straight into the index, not through GIN's pending list: every meeting
            # search looks words up here (three scans), and each scan reads the whole pending
            # list. Until a vacuum came by, that was every word of a fresh vocabulary (tier L:
            # 6,341 words, 178 pages, 7 ms a search instead of 0.9). New words are few and short.
            GinIndex(
                OpClass(KuusikkoUnaccent(F("word")), name="gin_trgm_ops"),
                name="meeting_search_word_trgm",
                fastupdate=False,
            )
        ]

    def __str__(self) -> str:
        return self.word


def finnish_any_word_query(words: list[str]) -> str | None:
    """A `to_tsquery('finnish', ...)` string matching any of `words` (each stemmed), or None
    when none has a letter or digit."""
    cleaned = dict.fromkeys("".join(char for char in word if char.isalnum()) for word in words)
    return " | ".join(f"'{word}'" for word in cleaned if word) or None


class MeetingSearchVector(Expression):
    """The meetings' stored Finnish full-text document of title, notes and outcomes: the column
    `search_vector`, GENERATED ALWAYS AS (to_tsvector('finnish', ...)) STORED, with the GIN
    index `meeting_search_vector` (migration advocacy 0010). Searching and ranking read it
    instead of running the stemmer over every matching meeting's notes again.

    PostgreSQL keeps the column; it is no model field, so that no instance loads it, no
    history records it and no COPY or export lists it. The expression names the column of the
    query's meetings table under whatever alias the table has (also as a subquery)."""

    output_field = SearchVectorField()
    column = "search_vector"

    def __init__(self, alias: str | None = None) -> None:
        super().__init__()
        self.alias = alias

    def resolve_expression(self, query=None, *args, **kwargs):
        return MeetingSearchVector(query.get_initial_alias())

    def relabeled_clone(self, change_map):
        return MeetingSearchVector(change_map.get(self.alias, self.alias))

    def get_group_by_cols(self):
        return [self]

    def as_sql(self, compiler, connection):
        column = connection.ops.quote_name(self.column)
        return f"{compiler.quote_name_unless_alias(self.alias)}.{column}", []


def _meeting_ids_matching(term: str, word: str, scope: models.QuerySet):
    """Ids of meetings of `scope` (the meetings searched: the caller's visible ones, matching
    the words before) that match one search word, `term` unaccented and `word` as typed.

    Each way a word matches is its own branch, cut at the newest SEARCH_TOP_N meetings of
    `scope`: a common word ('kunta' is in a million meetings at tier L) costs a walk down
    the meetings' time index, a rare one a look in the branch's own index; either way no
    branch gathers every match. The newest SEARCH_TOP_N matches of the word are among them.
    """
    prefix = finnish_prefix_query(word)
    found = MeetingSearchWord.objects.lookup(
        term, similar=len(term) >= SIMILAR_WORD_MIN_LENGTH, prefix_query=prefix
    )
    # A word no meeting contains is not looked for in the text (the trigram index would
    # recheck every meeting of the word's trigrams, to find none). A word whose every
    # occurrence the full-text index finds as a word beginning is looked for in the text by
    # it, and only in the place (not in the full-text document) by a trigram index: the
    # whole text's trigram index rechecks every meeting of the word's trigrams (tier L,
    # 'alapää': 75,000 meetings for 738, 2.3 s).
    if not found.contains:
        in_text = None
    elif found.prefix_covers:
        in_text = document_contains(("place",), term)
    else:
        in_text = document_contains(MEETING_SEARCH_FIELDS, term)
    conditions = [in_text] if in_text is not None else []
    as_prefix = Q(FinnishMatches(MeetingSearchVector(), prefix)) if prefix else None
    if as_prefix is not None:
        conditions.append(as_prefix)
    similar_query = finnish_any_word_query(found.similar)
    if similar_query and not _found_as_typed(scope, in_text, as_prefix):
        # The fallback for inflected forms the stemmer misses (`kokous` finds `kokouksessa`),
        # for a word found nowhere as typed among the meetings searched: the meetings' words
        # most similar to it (the vocabulary, MeetingSearchWord), by the full-text index.
        conditions.append(Q(FinnishMatches(MeetingSearchVector(), similar_query)))
    # The participants and organisations whose names match the word best, at most
    # SEARCH_TOP_N of each (one query each): at tier L a common surname names 20,000
    # contacts, with 300,000 meetings, a second to gather. A meeting's organisations include
    # its participants' organisations (log_meeting links them).
    contacts = Contact.objects.top_name_ids(term)
    organisations = Organisation.objects.top_name_ids(term)
    conditions += [
        Q(pk__in=MeetingContact.objects.filter(contact_id__in=contacts).values("meeting_id")),
        Q(
            pk__in=Meeting.organisations.through.objects.filter(
                organisation_id__in=organisations
            ).values("meeting_id")
        ),
    ]
    newest = [
        scope.filter(condition).order_by("-occurred_at", "-id").values("pk")[:SEARCH_TOP_N]
        for condition in conditions
    ]
    return newest[0].union(*newest[1:], all=True)


def _found_as_typed(scope, in_text: Q | None, as_prefix: Q | None) -> bool:
    """Whether a word occurs as typed in one of the meetings of `scope`: as a Finnish word
    beginning (the full-text index, a fraction of a millisecond) or else anywhere in the text
    (the trigram index: at tier L, 16 ms for a word of common trigrams; `in_text` is None when
    no meeting contains the word)."""
    if as_prefix is not None and scope.filter(as_prefix).exists():
        return True
    return in_text is not None and scope.filter(in_text).exists()


@dataclass(frozen=True)
class Viewer:
    """All that the visibility rule reads of a user. `visibility_rule` reads the user only
    through this, so that the rule built for one viewer holds for every equal one: the
    compiled SQL of a scoped query may be kept per viewer (`contact_meeting_stats`)."""

    user_id: int
    coordinator: bool
    municipality_id: int | None

    @classmethod
    def of(cls, user) -> Viewer:
        return cls(user.pk, user.role == Role.COORDINATOR, user.municipality_id)


def visibility_rule(user: User | Viewer, *, prefix: str = "", meeting: str = "pk") -> Q:
    """Whether `user` may see a meeting: the one place of the rule (DESIGN.md, "Who may
    see and do what"), for an active signed-in user (whose `Viewer` is all the rule reads).

    joint: everyone signed in. municipality: users of the meeting's municipality and
    coordinators. restricted: the author and the listed participants only. The author and
    our participants always see their own meetings.

    Over a Meeting by default; over a row holding copies of the meeting's fields (a
    MeetingContact: `prefix="meeting_", meeting="meeting_id"`), the same rule on the copies.
    """
    viewer = user if isinstance(user, Viewer) else Viewer.of(user)
    is_participant = Exists(
        Meeting.our_participants.through.objects.filter(
            meeting_id=OuterRef(meeting), user_id=viewer.user_id
        )
    )
    visibility = f"{prefix}visibility"
    if viewer.coordinator:
        same_municipality = Q(**{visibility: Visibility.MUNICIPALITY})
    elif viewer.municipality_id is not None:
        same_municipality = Q(
            **{
                visibility: Visibility.MUNICIPALITY,
                f"{prefix}municipality_id": viewer.municipality_id,
            }
        )
    else:
        same_municipality = Q(pk__in=[])
    return (
        Q(**{visibility: Visibility.JOINT})
        | same_municipality
        | Q(**{f"{prefix}author_id": viewer.user_id})
        | is_participant
    )


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingQuerySet:
        """The meetings `user` may see (DESIGN.md, "Who may see and do what"; the rule is
        `visibility_rule`)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(visibility_rule(user))

    def with_contact(self, contact: Contact) -> MeetingQuerySet:
        return self.filter(
            Exists(MeetingContact.objects.filter(meeting_id=OuterRef("pk"), contact=contact))
        )

    def search(self, text: str) -> MeetingQuerySet:
        """Meetings whose title, place, notes, outcomes, participants' names or organisations
        contain every word of `text`, accent-insensitively; a word also finds the Finnish
        words it begins (`ympäristö` finds `ympäristölautakunnan`, the stored
        MeetingSearchVector and its index `meeting_search_vector`) and, from five letters on,
        when it is found nowhere as typed among these meetings, inflected forms the stemmer
        misses (`kokous` finds `kokouksessa`: the meetings' words most similar to it, from
        their vocabulary MeetingSearchWord, by the full-text index; one more query decides).
        A word no meeting contains is not looked for in the texts at all (the vocabulary
        says so in a millisecond, one query per word). A participant's or organisation's
        name counts for the contacts and organisations whose names match best, at most
        crm.search.SEARCH_TOP_N of each (a query each per word).

        Lists at most the newest SEARCH_TOP_N matches of each way the longest word matches,
        and of those the ones the other words match (`_meeting_ids_matching`): never every
        match of a common word.

        Every branch is served by an index and the ids united, so no branch scans the table.
        The ids are fetched then (one query per word) and the queryset returned is filtered by
        them: at most a thousand ids are planned, run and built faster than the union as a
        subquery of the list's query (tier L, in-process: 43 → 38 ms a request)."""
        words = zip(search_terms(text), raw_search_words(text), strict=True)
        queryset = self
        # The longest word first, usually the rarest: the next words are looked for among
        # its newest matches.
        for term, word in sorted(words, key=lambda pair: -len(pair[0])):
            matching = _meeting_ids_matching(term, word, queryset)
            queryset = queryset.filter(pk__in={row["pk"] for row in matching})
        return queryset

    def ranked(self, text: str, limit: int = 50) -> list:
        """The `limit` best matches of `text` by Finnish full-text rank, newest first among
        equals. Only the matching rows are ranked, never the whole table."""
        query = " & ".join(
            q for q in (finnish_prefix_query(word) for word in raw_search_words(text)) if q
        )
        if not query:
            return list(self.search(text).order_by("-occurred_at", "-id")[:limit])
        rank = Func(
            MeetingSearchVector(),
            Func(
                Value(query),
                function="to_tsquery",
                template="to_tsquery('finnish'::regconfig, %(expressions)s)",
            ),
            function="ts_rank",
            output_field=models.FloatField(),
        )
        return list(
            self.search(text).annotate(rank=rank).order_by("-rank", "-occurred_at", "-id")[:limit]
        )

    def count_for(self, link: str) -> SubqueryCount:
        """The number of these meetings per row of another model, for `.annotate()`.

        `link` is the lookup from a meeting to that row, e.g. "topics" or
        "contact_links__contact". Start from `visible_to(user)`, so that no count reveals a
        meeting the user may not see.
        """
        return SubqueryCount(self.filter(**{link: OuterRef("pk")}).order_by().values("pk"))

    def latest_for(self, link: str) -> Subquery:
        """When the latest of these meetings per row of another model took place."""
        return SubqueryMax(
            self.filter(**{link: OuterRef("pk")}).order_by().values("occurred_at"),
            column="occurred_at",
            output_field=models.DateTimeField(),
        )

    def for_summary(self) -> MeetingQuerySet:
        """Short lists of the web pages (dashboard, a topic's meetings): title, time, author
        and topics only."""
        return self.select_related("author", "municipality").prefetch_related(
            Prefetch("topics", queryset=Topic.objects.only("id", "name"))
        )

    def related_to_network(self, network) -> MeetingQuerySet:
        """Meetings with a contact member of the network, or linked to a member organisation."""
        members = network.memberships.all()
        with_member_contact = Exists(
            MeetingContact.objects.filter(
                meeting_id=OuterRef("pk"),
                contact_id__in=members.filter(contact__isnull=False).values("contact_id"),
            )
        )
        with_member_organisation = Exists(
            Meeting.organisations.through.objects.filter(
                meeting_id=OuterRef("pk"),
                organisation_id__in=members.filter(organisation__isnull=False).values(
                    "organisation_id"
                ),
            )
        )
        return self.filter(with_member_contact | with_member_organisation)

    def involving(self, user) -> MeetingQuerySet:
        """Meetings `user` logged or took part in."""
        is_participant = Exists(
            Meeting.our_participants.through.objects.filter(
                meeting_id=OuterRef("pk"), user_id=user.pk
            )
        )
        return self.filter(Q(author_id=user.pk) | is_participant)

    def for_list(self) -> MeetingQuerySet:
        """Lists: author, municipality and every linked row in one query per relation."""
        return self.select_related("author", "municipality").prefetch_related(
            Prefetch("topics", queryset=Topic.objects.only("id", "name")),
            Prefetch("goals", queryset=Goal.objects.only("id", "title")),
            Prefetch(
                "contacts",
                queryset=Contact.objects.only("id", "first_name", "last_name").order_by(
                    "last_name", "first_name", "id"
                ),
            ),
            Prefetch("our_participants", queryset=User.objects.only(*USER_NAME_FIELDS)),
            Prefetch("organisations", queryset=Organisation.objects.only("id", "name")),
        )

    def list_rows(self) -> MeetingQuerySet:
        """The meetings list's read path: a dict per meeting, in one query and without model
        instances (`advocacy.api.meeting_row`). The author's names are joined; each linked
        relation comes as an array of small JSON objects, in the order its model gives."""

        def linked(queryset, **columns):
            return ArraySubquery(queryset.values(json=JSONObject(**columns)))

        people = ("last_name", "first_name")
        return self.values(
            *MEETING_ROW_FIELDS,
            author_username=F("author__username"),
            author_first_name=F("author__first_name"),
            author_last_name=F("author__last_name"),
            participants_json=linked(
                User.objects.filter(attended_meetings=OuterRef("pk")).order_by(
                    *User._meta.ordering
                ),
                id="id",
                username="username",
                first_name="first_name",
                last_name="last_name",
            ),
            contacts_json=linked(
                Contact.objects.filter(meeting_links__meeting=OuterRef("pk")).order_by(
                    *people, "id"
                ),
                id="id",
                first_name="first_name",
                last_name="last_name",
            ),
            organisations_json=linked(
                Organisation.objects.filter(meetings=OuterRef("pk")).order_by(
                    *Organisation._meta.ordering, "id"
                ),
                id="id",
                name="name",
            ),
            topics_json=linked(
                Topic.objects.filter(meetings=OuterRef("pk")).order_by(*Topic._meta.ordering, "id"),
                id="id",
                name="name",
            ),
            goals_json=linked(
                Goal.objects.filter(meetings=OuterRef("pk")).order_by(*Goal._meta.ordering, "id"),
                id="id",
                title="title",
            ),
        )

    def for_detail(self) -> MeetingQuerySet:
        """A meeting's page: its follow-ups too (visible with the meeting)."""
        return self.for_list().prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.select_related("assignee").order_by("due_date", "id"),
            )
        )

    def for_timeline(self) -> MeetingQuerySet:
        return self.for_list().order_by("-occurred_at", "-id")


EARLIEST_MEETING_YEAR = 1990
LATEST_MEETING_YEARS_AHEAD = 5


def validate_meeting_time(value: datetime.datetime) -> None:
    """A meeting takes place between 1990 and five years from now: anything else is a typo
    (a year 612 would also have no valid time-zone offset to show)."""
    latest_year = timezone.localdate().year + LATEST_MEETING_YEARS_AHEAD
    if not EARLIEST_MEETING_YEAR <= timezone.localtime(value).year <= latest_year:
        raise ValidationError(
            _("Give a time between the years %(earliest)s and %(latest)s."),
            code="implausible_time",
            params={"earliest": EARLIEST_MEETING_YEAR, "latest": latest_year},
        )


@tracked()
class Meeting(models.Model):
    """An interaction: a meeting, call, message or event, and what came of it."""

    occurred_at = models.DateTimeField(
        _("when"), default=timezone.now, validators=[validate_meeting_time]
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=MeetingKind.choices, default=MeetingKind.IN_PERSON
    )
    title = models.CharField(_("title"), max_length=200)
    place = models.CharField(_("place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.JOINT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,  # the record of who logged a meeting is never lost
        related_name="authored_meetings",
        db_index=False,  # meeting_author_time leads with it
    )
    # The author's municipality when the meeting was logged: "municipality" visibility follows
    # it, so a meeting does not move when its author moves.
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="meetings",
        null=True,
        blank=True,
        db_index=False,  # meeting_municipality_time leads with it
    )
    our_participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        blank=True,
        related_name="attended_meetings",
    )
    contacts = models.ManyToManyField(
        Contact,
        through="MeetingContact",
        verbose_name=_("their participants"),
        blank=True,
        related_name="meetings",
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations"), blank=True, related_name="meetings"
    )
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="meetings"
    )
    goals = models.ManyToManyField(
        Goal, verbose_name=_("goals"), blank=True, related_name="meetings"
    )
    # Incremented by every update service (crm.versioning): no lost updates.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeetingKind.values), name="meeting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="meeting_visibility_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="meeting_title_present"),
        ]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="meeting_occurred"),
            models.Index(fields=["municipality", "-occurred_at"], name="meeting_municipality_time"),
            models.Index(fields=["author", "-occurred_at"], name="meeting_author_time"),
            models.Index(fields=["visibility", "-occurred_at"], name="meeting_visibility_time"),
            trigram_index(*MEETING_SEARCH_FIELDS, name="meeting_search_trgm"),
            # A word the full-text index finds wherever it is a word beginning is looked for
            # in the place alone (the one searched field not in search_vector).
            trigram_index("place", name="meeting_place_trgm"),
            # meeting_search_vector: GIN over the search_vector column (MeetingSearchVector).
        ]
        triggers = [
            # The meetings' vocabulary (MeetingSearchWord) gains the words of every new or
            # changed text, in word order (two meetings adding the same new words wait for
            # each other in the same order, never in a deadlock).
            pgtrigger.Trigger(
                name="meeting_search_words",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf(*MEETING_SEARCH_FIELDS),
                func=(
                    "INSERT INTO advocacy_meetingsearchword (word) SELECT DISTINCT word FROM "  # noqa: S608  # nosec B608: fixed SQL
                    f"{MEETING_WORDS_SQL.format('NEW.')} ORDER BY word "
                    "ON CONFLICT (word) DO NOTHING; RETURN NULL;"
                ),
            ),
            # The participant rows' copies of the meeting (MeetingContact) follow its changes.
            pgtrigger.Trigger(
                name="meeting_copies_to_links",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf(*MEETING_COPIED_COLUMNS.values()),
                condition=pgtrigger.AnyChange(*MEETING_COPIED_COLUMNS.values()),
                func=(
                    "UPDATE advocacy_meetingcontact SET "  # noqa: S608  # nosec B608: fixed SQL
                    + ", ".join(
                        f"{copy} = NEW.{column}" for copy, column in MEETING_COPIED_COLUMNS.items()
                    )
                    + " WHERE meeting_id = NEW.id; RETURN NULL;"
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeetingContactQuerySet(models.QuerySet):
    def visible_to(self, user) -> MeetingContactQuerySet:
        """The participant rows of the meetings `user` may see: `visibility_rule` over the
        meeting's fields copied onto the rows."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(visibility_rule(user, prefix="meeting_", meeting="meeting_id"))

    def count_per_contact(self) -> SubqueryCount:
        return SubqueryCount(self._per_contact("pk"))

    def latest_per_contact(self) -> Subquery:
        return SubqueryMax(
            self._per_contact("meeting_occurred_at"),
            column="meeting_occurred_at",
            output_field=models.DateTimeField(),
        )

    def _per_contact(self, column: str) -> MeetingContactQuerySet:
        return self.filter(contact_id=OuterRef("pk")).order_by().values(column)


def contact_meeting_stats(user, contact_ids: Sequence[int]) -> dict[int, dict]:
    """How many meetings `user` may see that each of the contacts took part in, and the
    latest one's time: {contact id: {"count": n, "latest": time or None}}, in one query.

    Counted off the contacts' own participant rows (their copies of the meetings' visibility
    fields and time): one index-only range of `meeting_contact_visible` per contact, no
    meeting row read. The query's SQL is compiled once per `Viewer` (building and compiling
    the visibility rule cost more than running it: a contact's detail, the contacts list)."""
    stats: dict[int, dict] = {pk: {"count": 0, "latest": None} for pk in contact_ids}
    if stats and user is not None and user.is_authenticated and user.is_active:
        for row in _meeting_stats_lookup(Viewer.of(user))(id_array(stats)):
            stats[row["contact_id"]] = {"count": row["count"], "latest": row["latest"]}
    return stats


@functools.lru_cache(maxsize=1024)
def _meeting_stats_lookup(viewer: Viewer) -> CompiledLookup:
    return CompiledLookup(
        lambda ids: (
            MeetingContact.objects.filter(
                visibility_rule(viewer, prefix="meeting_", meeting="meeting_id"),
                contact_id__in=in_ids(ids),
            )
            .order_by()
            .values("contact_id")
            .annotate(count=models.Count("*"), latest=models.Max("meeting_occurred_at"))
        ),
        marker=ID_ARRAY_MARKER,
    )


# The copies are the meeting's, not the link's: they are kept out of the link's history.
@tracked(exclude=list(MEETING_COPIED_COLUMNS))
class MeetingContact(models.Model):
    """A contact who took part in a meeting.

    The row carries copies of its meeting's time and of the fields that decide who may see it
    (MEETING_COPIED_COLUMNS), kept by the database: filled on insert
    (`meeting_contact_copies`), rewritten when the meeting changes (`meeting_copies_to_links`
    on Meeting). Nothing else writes them.
    """

    # meeting_contact_unique leads with the meeting, meeting_contact_visible with the contact.
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="contact_links", db_index=False
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,  # contacts are anonymised, never deleted from a meeting record
        related_name="meeting_links",
        db_index=False,
    )
    meeting_occurred_at = models.DateTimeField(null=True, editable=False)
    meeting_visibility = models.CharField(max_length=20, blank=True, editable=False)
    meeting_municipality_id = models.BigIntegerField(null=True, editable=False)
    meeting_author_id = models.BigIntegerField(null=True, editable=False)

    objects = MeetingContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "contact"], name="meeting_contact_unique"),
        ]
        indexes = [
            # A contact's meetings (contact, meeting), and with the copies at hand: who may
            # see them and when the latest was, read off the index alone.
            models.Index(
                fields=["contact", "meeting"],
                include=list(MEETING_COPIED_COLUMNS),
                name="meeting_contact_visible",
            )
        ]
        triggers = [
            # The meeting's copies on a new row, read under a share lock of the meeting: a
            # change of the meeting waits for this row's transaction (and then rewrites it,
            # meeting_copies_to_links), or this insert waits for the change and reads it.
            pgtrigger.Trigger(
                name="meeting_contact_copies",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("meeting_id"),
                func=(
                    "SELECT "  # noqa: S608  # nosec B608: fixed SQL
                    + ", ".join(MEETING_COPIED_COLUMNS.values())
                    + " INTO "
                    + ", ".join(f"NEW.{copy}" for copy in MEETING_COPIED_COLUMNS)
                    + " FROM advocacy_meeting WHERE id = NEW.meeting_id FOR SHARE; RETURN NEW;"
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.meeting}"


# --- Follow-ups ------------------------------------------------------------------------------


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


# The plain columns of a follow-ups list row (FollowUpQuerySet.list_rows).
FOLLOW_UP_ROW_FIELDS = (
    "id",
    "description",
    "meeting_id",
    "goal_id",
    "assignee_id",
    "due_date",
    "status",
    "completion_note",
    "completed_at",
    "completed_by_id",
    "created_by_id",
    "version",
    "created_at",
    "updated_at",
)


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user) -> FollowUpQuerySet:
        """Follow-ups of visible meetings, of goals (shared directory), and one's own."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        visible_meetings = Meeting.objects.visible_to(user).filter(pk=OuterRef("meeting_id"))
        # The row's own columns first: PostgreSQL tries an OR's terms in the order written,
        # and one's own follow-ups (the list of "my follow-ups") then never look up a meeting.
        return self.filter(
            Q(assignee_id=user.pk)
            | Q(created_by_id=user.pk)
            | Q(meeting__isnull=True)
            | Exists(visible_meetings)
        )

    def open(self) -> FollowUpQuerySet:
        return self.filter(status=FollowUpStatus.OPEN)

    def overdue(self, today=None) -> FollowUpQuerySet:
        return self.open().filter(due_date__lt=today or timezone.localdate())

    def for_list(self) -> FollowUpQuerySet:
        return self.select_related("assignee", "meeting", "goal", "created_by", "completed_by")

    def list_rows(self) -> FollowUpQuerySet:
        """The follow-ups list's read path: a dict per follow-up, in one query and without model
        instances (`advocacy.api.follow_up_row`): the meeting's and goal's titles and the
        names of the assignee, creator and completer joined."""
        people = {
            f"{role}_{column}": F(f"{role}__{column}")
            for role in ("assignee", "created_by", "completed_by")
            for column in ("username", "first_name", "last_name")
        }
        return self.values(
            *FOLLOW_UP_ROW_FIELDS,
            meeting_title=F("meeting__title"),
            goal_title=F("goal__title"),
            **people,
        )

    def with_meeting_visibility(self, user) -> FollowUpQuerySet:
        """Annotate `meeting_visible`: whether `user` may see the follow-up's meeting.

        One's own follow-up is visible even when its meeting is not (a restricted meeting one
        was not at); such a meeting must then not be shown with it.
        """
        return self.annotate(
            meeting_visible=Exists(
                Meeting.objects.visible_to(user).filter(pk=OuterRef("meeting_id"))
            )
        )

    def search(self, text: str) -> FollowUpQuerySet:
        condition = text_search_q(text, ["description", "completion_note"])
        return self if condition is None else self.filter(condition)


@tracked()
class FollowUp(models.Model):
    """An action arising from a meeting or a goal, owned by one user, due on a date."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    description = models.TextField(_("description"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,  # reassign before removing a user
        related_name="assigned_follow_ups",
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    completion_note = models.TextField(_("completion note"), blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Incremented by every update service (crm.versioning): no lost updates.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(meeting__isnull=False) | Q(goal__isnull=False),
                name="follow_up_has_origin",
                violation_error_message=_("A follow-up arises from a meeting or a goal."),
            ),
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.OPEN) | Q(completed_at__isnull=False),
                name="follow_up_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="follow_up_description_present"
            ),
        ]
        indexes = [
            # One's open follow-ups, soonest first. It also holds the other keys the list's
            # rows join on and the visibility rule reads (FollowUpQuerySet.list_rows,
            # visible_to): the page's exact count is then read off the index alone (tier L:
            # 17,000 open follow-ups of one user counted in 6 ms, not 17-28 ms from the rows).
            models.Index(
                fields=["assignee", "due_date"],
                include=["created_by", "meeting", "goal", "completed_by"],
                condition=Q(status=FollowUpStatus.OPEN),
                name="follow_up_open_by_assignee",
            ),
            models.Index(fields=["status", "due_date"], name="follow_up_status_due"),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_overdue(self) -> bool:
        return self.status == FollowUpStatus.OPEN and self.due_date < timezone.localdate()


# --- Reminders -------------------------------------------------------------------------------


class ReminderKind(models.TextChoices):
    FOLLOW_UP_DUE = "follow_up_due", _("follow-up due")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("follow-up overdue")
    ESCALATION = "escalation", _("overdue follow-up escalated")
    WEEKLY_DIGEST = "weekly_digest", _("weekly digest")
    STALE_CONTACT = "stale_contact", _("decision-maker not met lately")
    STALE_SUMMARY = "stale_summary", _("summary of decision-makers not met lately")
    TRANSPARENCY_DISCLOSURE = "transparency_disclosure", _("transparency register disclosure due")


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    IN_APP = "in_app", _("in-app notification")


class ReminderState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class Reminder(models.Model):
    """One planned notification. Reminders are rows, never long countdowns in a broker."""

    kind = models.CharField(_("kind"), max_length=30, choices=ReminderKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,  # reminder_recipient_due leads with it
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=20, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Set after a failed attempt: the sweep leaves the row alone until then (backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    follow_up = models.ForeignKey(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    # Tells apart planned reminders of one kind and target ("day-before", a digest week).
    key = models.CharField(_("key"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="reminder_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReminderState.values), name="reminder_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=ReminderState.SENT) | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
            # One planned notification per thing, recipient, channel and occasion: re-planning
            # updates the row instead of adding a second one.
            models.UniqueConstraint(
                fields=["kind", "recipient", "channel", "follow_up", "contact", "key"],
                name="reminder_unique_plan",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            # The sweep's claim: due pending rows in (due_at, id) order, read straight off the
            # index. Many reminders share one due_at (09:00 on the day), and an index of due_at
            # alone left PostgreSQL sorting every due row for each batch it claimed.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state=ReminderState.PENDING),
                name="reminder_pending_claim",
            ),
            models.Index(fields=["state", "due_at"], name="reminder_state_due"),
            models.Index(fields=["recipient", "-due_at"], name="reminder_recipient_due"),
            # Recovery looks for rows left in `sending` by a crashed worker.
            models.Index(
                fields=["claimed_at"],
                condition=Q(state=ReminderState.SENDING),
                name="reminder_sending_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_state_display()})"


class Weekday(models.IntegerChoices):
    """Python's numbering (date.weekday()): Monday is 0."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def every_reminder_kind() -> list[str]:
    return list(ReminderKind.values)


class NotificationPreferenceQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationPreference:
        """The user's preferences, or the defaults (unsaved) when they never chose."""
        found = self.filter(user_id=user.pk).first()
        return found if found is not None else NotificationPreference(user=user)


class NotificationPreference(models.Model):
    """Which channels a user wants for each kind of reminder, and the day of their digest.

    A user without a row gets the defaults: every kind by e-mail and in the app, digest on
    Mondays.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_kinds = ArrayField(
        models.CharField(max_length=30, choices=ReminderKind.choices),
        verbose_name=_("by e-mail"),
        default=every_reminder_kind,
        blank=True,
    )
    in_app_kinds = ArrayField(
        models.CharField(max_length=30, choices=ReminderKind.choices),
        verbose_name=_("in the app"),
        default=every_reminder_kind,
        blank=True,
    )
    digest_weekday = models.PositiveSmallIntegerField(
        _("weekly digest on"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(email_kinds__contained_by=ReminderKind.values)
                & Q(in_app_kinds__contained_by=ReminderKind.values),
                name="notification_preference_kinds_valid",
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__in=Weekday.values),
                name="notification_preference_weekday_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def channels_for(self, kind: str) -> list[str]:
        """The channels the user wants for reminders of `kind`, e-mail first."""
        wanted = []
        if kind in self.email_kinds:
            wanted.append(Channel.EMAIL)
        if kind in self.in_app_kinds:
            wanted.append(Channel.IN_APP)
        return wanted


# --- Delivered messages ----------------------------------------------------------------------
# A reminder becomes at most one message per channel: the unique reminder key on each table is
# what makes delivery exactly once up to the outbox.


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message for one user."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_recipient_time leads with it
    )
    reminder = models.OneToOneField(
        Reminder,
        verbose_name=_("reminder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notification",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ReminderKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_time"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxEmail(models.Model):
    """An e-mail waiting for the relay, written in the same transaction that marks its reminder
    sent. The relay's SMTP send is the only at-least-once step."""

    reminder = models.OneToOneField(
        Reminder,
        verbose_name=_("reminder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_email",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_address = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mail")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=OutboxState.values), name="outbox_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=OutboxState.SENT) | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]
        indexes = [
            # The relay's lease, in (next_attempt_at, id) order (a batch's e-mails share one).
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state=OutboxState.QUEUED),
                name="outbox_queued_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


# --- Calendar feeds --------------------------------------------------------------------------


class CalendarFeedTokenQuerySet(models.QuerySet):
    def active(self) -> CalendarFeedTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class CalendarFeedToken(models.Model):
    """The secret in a user's calendar subscription URL. Revoking it ends the subscription.

    Only a SHA-256 digest of the secret is stored: the URL is shown once, when it is made, and
    a copy of the database gives no one a working feed URL.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed_tokens",
    )
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = CalendarFeedTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="calendar_feed_user")]

    def __str__(self) -> str:
        return self.label or f"{self.user} {self.created_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

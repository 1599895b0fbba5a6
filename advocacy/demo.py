"""The demo data set of the six municipalities (`manage.py seed_demo`).

Deterministic: everything is drawn from one `random.Random(seed)` in a fixed order, and dates
are anchored on `today`, so the same seed and day give the same data (in a fresh database, ids
too). Fast at scale: organisations and the small tables are written with `bulk_create`;
contacts, meetings, their links, follow-ups and reminders with COPY (`RowCopier`), in chunks
so that a million contacts or meetings never sit in memory at once, drawn from precomputed
pools (names, titles, weighted choices, meeting times); `Contact.last_interaction_at` is set by
one UPDATE at the end. The whole seed is one transaction, and the history triggers record it
(context source "seed_demo") — except in a bulk load (`--bulk`, the tiers), where the big
tables load with their secondary indexes, foreign keys and history triggers off and get them
back before the commit (`LoadWindow`), then VACUUM ANALYZE.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import random
import time
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass, field

import pghistory
import pgtrigger
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone

from advocacy import demo_data as data
from advocacy.models import (
    MEETING_COPIED_COLUMNS,
    Channel,
    EndorsementState,
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalProgress,
    GoalStatus,
    Meeting,
    MeetingContact,
    MeetingSearchWord,
    Notification,
    Reminder,
    ReminderKind,
    ReminderState,
    Topic,
    TopicStatus,
)
from crm.models import (
    Contact,
    ContactPosition,
    LawfulBasis,
    Municipality,
    Network,
    NetworkMembership,
    Organisation,
    RegisterRole,
    Role,
    Tag,
    User,
)

BATCH_SIZE = 5000
CONTACT_CHUNK = 50_000
MEETING_CHUNK = 20_000

# The pools the people are drawn from: plain and compound surnames, single and double first
# names (Anna-Liisa, Juha-Pekka); a contact keeps only the two indexes.
SINGLE_FIRST_NAMES = len(data.FEMALE_FIRST_NAMES) + len(data.MALE_FIRST_NAMES)
FIRST_NAMES = [
    *data.FEMALE_FIRST_NAMES,
    *data.MALE_FIRST_NAMES,
    *(
        f"{a}-{b}"
        for names in (data.FEMALE_FIRST_NAMES, data.MALE_FIRST_NAMES)
        for a in names
        for b in names
        if a != b
    ),
]
LAST_NAMES = [
    *data.LAST_NAMES,
    *(
        head + tail
        for head in data.SURNAME_HEADS
        for tail in data.SURNAME_TAILS
        if not tail.startswith(head.lower()[:4])
    ),
]
# Titles by organisation kind (None: no organisation) with their cumulative weights.
TITLE_POOLS = {
    kind: (titles, list(itertools.accumulate(t[3] for t in titles)))
    for kind, titles in [*data.TITLES.items(), (None, data.INDEPENDENT_TITLES)]
}
KIND_TAGS = {
    "parliament": ["kansanedustaja"],
    "media": ["media"],
    "company": ["yrittäjä"],
    "ministry": ["virkamies"],
    "agency": ["virkamies"],
}
EMAIL_LOCALS: dict[tuple[str, str], str] = {}


def weighted_pool(pairs) -> tuple[list, list]:
    """(values, cumulative weights) of (value, weight) pairs, for DemoSeeder.draw()."""
    return [v for v, _w in pairs], list(itertools.accumulate(w for _v, w in pairs))


MEETING_KINDS = weighted_pool(data.MEETING_KIND_WEIGHTS)
VISIBILITIES = weighted_pool(data.VISIBILITY_WEIGHTS)
RECENT_FOLLOW_UP_STATES = weighted_pool(
    [(FollowUpStatus.DONE, 70), (FollowUpStatus.CANCELLED, 8), (FollowUpStatus.OPEN, 22)]
)
OLD_FOLLOW_UP_STATES = weighted_pool(
    [(FollowUpStatus.DONE, 70), (FollowUpStatus.CANCELLED, 8), (FollowUpStatus.OPEN, 1)]
)
# How many people of the organisation a meeting has (about three participant rows a meeting
# with the one from another organisation now and then).
PEOPLE_MET = [1, 2, 3, 3, 4, 4]
# Follow-up reminders per meeting, pending and done with (sent or cancelled), as measured.
PENDING_REMINDERS_PER_MEETING = 0.04
CLOSED_REMINDERS_PER_MEETING = 0.46

# Models whose rows people edit, hence add/change permissions for everyone in the demo group.
EDITABLE_MODELS = {
    "crm": ["tag", "organisation", "contact", "contactposition", "network", "networkmembership"],
    "advocacy": ["topic", "goal", "goalendorsement", "meeting", "meetingcontact", "followup"],
}
# Nobody but a superuser reads the raw e-mail outbox.
HIDDEN_MODELS = {"advocacy": ["outboxemail"]}


# One grouped pass over the participants instead of a subquery per contact.
LAST_INTERACTION_SQL = """
    UPDATE {contact} AS c SET last_interaction_at = latest.occurred_at
    FROM (
        SELECT link.contact_id, max(m.occurred_at) AS occurred_at
        FROM {link} AS link JOIN {meeting} AS m ON m.id = link.meeting_id
        GROUP BY link.contact_id
    ) AS latest
    WHERE c.id = latest.contact_id
"""


class RowCopier:
    """Writes rows of one table with PostgreSQL's COPY, the database's own bulk loader.

    `bulk_create` builds a model instance and compiles an INSERT for every row; at a million
    meetings (about eight million rows with their links) that Python work alone takes a quarter
    of an hour on a small machine, COPY a fraction of it. Rows are tuples in the order of
    `fields` (attnames: "author_id"); every other column gets its model default, `auto_now`
    columns the current time. Choices go in as their values (psycopg dumps a TextChoices member
    as the str it is; the CHECK constraints would catch anything else).
    """

    def __init__(self, model, fields: list[str]) -> None:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        self.model = model
        self.fields = fields
        given = [by_attname[name] for name in fields]
        # Generated columns and columns with only a database default are left to the
        # database: a column added by a later migration (a stored tsvector, say) still works.
        self.filled = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in fields
            and not getattr(f, "generated", False)
            and (f.has_default() or not f.has_db_default())
        ]
        for f in self.filled:
            if f.primary_key or f.has_default() or f.null or f.blank or _is_auto_now(f):
                continue
            raise ValueError(f"{model._meta.label}.{f.name} has no default: give it a value")
        self.filled = [f for f in self.filled if not f.primary_key]
        columns = [f.column for f in given + self.filled]
        self.sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(c) for c in columns),
        )

    def write(self, rows) -> int:
        now = timezone.now()
        tail = tuple(now if _is_auto_now(f) else f.get_default() for f in self.filled)
        count = 0
        with connection.cursor() as cursor:
            # COPY bypasses Django's execute wrappers, through which pghistory and pgtrigger
            # set their transaction-local settings (the history context, the triggers to
            # ignore); a no-op statement through the wrappers puts them in place for it.
            cursor.execute("DO $$ BEGIN END $$")
            with cursor.copy(self.sql) as copy:
                for row in rows:
                    copy.write_row((*row, *tail))
                    count += 1
        return count


def _is_auto_now(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def reserve_ids(model, count: int) -> range:
    """Take `count` consecutive ids from the table's sequence (rows written by COPY need them
    up front, to be linked before they exist)."""
    if count == 0:
        return range(0)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
            " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


CONTACT_COPIER = RowCopier(
    Contact,
    [
        "id",
        "first_name",
        "last_name",
        "title",
        "organisation_id",
        "municipality_id",
        "email",
        "is_decision_maker",
        "influence_level",
        "stale_after_days",
        "lawful_basis",
        "register_role",
        "notes",
        "archived_at",
        "created_by_id",
    ],
)
CONTACT_TAG_COPIER = RowCopier(Contact.tags.through, ["contact_id", "tag_id"])
CONTACT_OWNER_COPIER = RowCopier(Contact.relationship_owners.through, ["contact_id", "user_id"])
CONTACT_POSITION_COPIER = RowCopier(
    ContactPosition, ["contact_id", "organisation_id", "title", "start_date", "end_date"]
)
MEETING_COPIER = RowCopier(
    Meeting,
    [
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
    ],
)
# With the meeting's copies (MEETING_COPIED_COLUMNS): the load window turns off the trigger that
# fills them.
MEETING_CONTACT_COPIER = RowCopier(
    MeetingContact, ["meeting_id", "contact_id", *MEETING_COPIED_COLUMNS]
)
MEETING_ORGANISATION_COPIER = RowCopier(
    Meeting.organisations.through, ["meeting_id", "organisation_id"]
)
MEETING_TOPIC_COPIER = RowCopier(Meeting.topics.through, ["meeting_id", "topic_id"])
MEETING_GOAL_COPIER = RowCopier(Meeting.goals.through, ["meeting_id", "goal_id"])
MEETING_PARTICIPANT_COPIER = RowCopier(Meeting.our_participants.through, ["meeting_id", "user_id"])
FOLLOW_UP_COPIER = RowCopier(
    FollowUp,
    [
        "id",
        "meeting_id",
        "goal_id",
        "description",
        "assignee_id",
        "due_date",
        "status",
        "completion_note",
        "completed_at",
        "completed_by_id",
        "created_by_id",
    ],
)
REMINDER_COPIER = RowCopier(
    Reminder,
    [
        "id",
        "kind",
        "recipient_id",
        "channel",
        "due_at",
        "state",
        "attempts",
        "claimed_at",
        "sent_at",
        "follow_up_id",
        "contact_id",
        "key",
    ],
)
NOTIFICATION_COPIER = RowCopier(
    Notification, ["recipient_id", "reminder_id", "kind", "subject", "created_at", "read_at"]
)


# The tables a big seed fills; while they load, their secondary indexes, foreign keys and
# history triggers are off (see LoadWindow).
BULK_MODELS = [
    Organisation,
    Contact,
    Contact.tags.through,
    Contact.relationship_owners.through,
    ContactPosition,
    Meeting,
    MeetingContact,
    Meeting.organisations.through,
    Meeting.topics.through,
    Meeting.goals.through,
    Meeting.our_participants.through,
    FollowUp,
    Reminder,
    Notification,
]

SECONDARY_INDEXES_SQL = """
    SELECT t.relname, c.relname, pg_get_indexdef(i.indexrelid)
    FROM pg_index AS i
    JOIN pg_class AS c ON c.oid = i.indexrelid
    JOIN pg_class AS t ON t.oid = i.indrelid
    WHERE i.indrelid IN (SELECT to_regclass(name) FROM unnest(%s::text[]) AS name)
      AND NOT i.indisunique
      AND NOT EXISTS (SELECT FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
    ORDER BY t.relname, c.relname
"""
FOREIGN_KEYS_SQL = """
    SELECT t.relname, k.conname, pg_get_constraintdef(k.oid)
    FROM pg_constraint AS k JOIN pg_class AS t ON t.oid = k.conrelid
    WHERE k.contype = 'f'
      AND k.conrelid IN (SELECT to_regclass(name) FROM unnest(%s::text[]) AS name)
    ORDER BY t.relname, k.conname
"""


class LoadWindow:
    """The bulk load's way around the per-row costs of PostgreSQL: for the tables given, the
    secondary indexes (not unique, not backing a constraint, found in the catalog so that an
    index added by any later migration is handled too) and the foreign keys are dropped, and
    the history triggers and the meetings' vocabulary trigger disabled; `close()` puts all
    of it back (the vocabulary rebuilt in one pass), the indexes built in one pass
    each with a large `maintenance_work_mem`, the foreign keys validated by one join each.

    Everything happens inside the seed's transaction: if the seed fails, the rollback restores
    the indexes, constraints and triggers as they were. Unique indexes and primary keys stay.
    The rows loaded meanwhile have no history events (the database did not record them; the
    small demo seed, which does not use the window, keeps its "seed_demo" insert events).
    """

    def __init__(self, models, log) -> None:
        self.tables = [m._meta.db_table for m in models]
        self.log = log
        # The history triggers and the meetings' vocabulary trigger (rebuilt in one pass).
        self.history = [
            (model._meta.db_table, trigger.get_pgid(model))
            for model, trigger in pgtrigger.registered()
            if model._meta.db_table in self.tables
        ]

    def open(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(SECONDARY_INDEXES_SQL, [self.tables])
            self.indexes = cursor.fetchall()
            cursor.execute(FOREIGN_KEYS_SQL, [self.tables])
            self.foreign_keys = cursor.fetchall()
            for table, name in self.history:
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(name)}")
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for _table, name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        self.log(
            f"Load window: {len(self.indexes)} indexes and {len(self.foreign_keys)} foreign keys"
            f" dropped, {len(self.history)} history triggers off"
        )

    def close(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # One index build at a time gets all of it; the session's default is 64 MB.
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for table, name, definition in self.foreign_keys:
                started = time.monotonic()
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
                self.log(f"  {name}: {time.monotonic() - started:.1f} s")
            for _table, name, definition in self.indexes:
                started = time.monotonic()
                cursor.execute(definition)
                self.log(f"  {name}: {time.monotonic() - started:.1f} s")
            for table, name in self.history:
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(name)}")
        if Meeting._meta.db_table in self.tables:
            started = time.monotonic()
            MeetingSearchWord.objects.rebuild()
            self.log(f"  meeting search words: {time.monotonic() - started:.1f} s")


def already_seeded() -> bool:
    return User.objects.filter(username__in=[login[0] for login in data.DEMO_LOGINS]).exists()


def holds_other_data() -> bool:
    """True if people have entered data: the demo is never mixed into a real directory."""
    return Organisation.objects.exists() or Contact.objects.exists() or Meeting.objects.exists()


def ascii_slug(text: str, separator: str = ".") -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return separator.join(
        "".join(c for c in part if c.isalnum()) for part in folded.lower().split()
    )


@dataclass
class OrgInfo:
    pk: int
    name: str
    kind: str
    municipality: str | None
    email_domain: str
    contact_ids: list[int] = field(default_factory=list)


class DemoSeeder:
    def __init__(
        self,
        *,
        seed: int = 2026,
        today: datetime.date | None = None,
        contacts: int = 300,
        meetings: int = 1500,
        organisations: int | None = None,
        due_reminders: int = 0,
        reminders: int | None = None,
        bulk: bool = False,
        log=None,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.today = today or timezone.localdate()
        self.tz = timezone.get_default_timezone()
        self.n_contacts = contacts
        self.n_meetings = meetings
        self.n_organisations = (
            organisations if organisations is not None else len(data.ORGANISATIONS) + contacts // 20
        )
        self.n_due_reminders = due_reminders
        # A total of reminders asked for (the tiers): the reminders done with (sent or
        # cancelled) are kept only in the proportion that brings the total near it (about half
        # a follow-up reminder per meeting otherwise); the pending ones are always kept.
        self.closed_reminder_share = 1.0
        if reminders is not None and meetings:
            room = reminders - due_reminders - PENDING_REMINDERS_PER_MEETING * meetings
            share = room / (CLOSED_REMINDERS_PER_MEETING * meetings)
            self.closed_reminder_share = max(0.0, min(1.0, share))
        self.bulk_load = bulk
        self.log = log or (lambda message: None)
        self.counts: Counter[str] = Counter()

    # --- helpers ---------------------------------------------------------------------------

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    def days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def weekday(self, day: datetime.date) -> datetime.date:
        """The nearest working day on or before `day`."""
        while day.weekday() >= 5:
            day -= datetime.timedelta(days=1)
        return day

    def draw(self, pool: tuple[list, list]):
        """One of a pool made by `weighted_pool`: as `weighted`, without rebuilding it."""
        values, cumulative = pool
        return values[bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def weighted(self, pairs):
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def person_name(self) -> tuple[str, str]:
        first, last = self.person_name_indexes()
        return FIRST_NAMES[first], LAST_NAMES[last]

    def person_name_indexes(self) -> tuple[int, int]:
        """Indexes into FIRST_NAMES and LAST_NAMES: half the surnames plain (Hämäläinen), half
        compound (Mäkijärvi); some first names double (Anna-Liisa)."""
        rng = self.rng
        first = rng.randrange(SINGLE_FIRST_NAMES)
        if rng.random() < 0.1:
            first = rng.randrange(SINGLE_FIRST_NAMES, len(FIRST_NAMES))
        if rng.random() < 0.5:
            return first, rng.randrange(len(data.LAST_NAMES))
        return first, rng.randrange(len(data.LAST_NAMES), len(LAST_NAMES))

    def bulk(self, model, rows, label: str | None = None):
        created = model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts[label or str(model._meta.verbose_name_plural)] += len(created)
        return created

    # --- the whole seed --------------------------------------------------------------------

    def run(self) -> Counter[str]:
        with transaction.atomic(), pghistory.context(source="seed_demo"):
            with connection.cursor() as cursor:
                # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: each row's check
                # waits in PostgreSQL's after-trigger queue until commit, and with row triggers
                # on the same tables (the history) every statement then costs time in
                # proportion to that ever longer queue; the seed became quadratic (40,000
                # meetings: 4 min instead of 20 s). Checked at once, the queue stays empty.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.phase(self.seed_users)
            self.phase(self.seed_tags)
            window = LoadWindow(BULK_MODELS, self.log) if self.bulk_load else None
            if window:
                self.phase(window.open)
            self.phase(self.seed_organisations)
            self.phase(self.seed_contacts)
            self.phase(self.seed_networks)
            self.phase(self.seed_topics_and_goals)
            self.phase(self.seed_meetings)
            self.phase(self.seed_goal_follow_ups)
            self.phase(self.set_last_interaction)
            self.phase(self.seed_digests_and_alerts)
            self.phase(self.seed_due_reminders)
            if window:
                self.phase(window.close)
        if self.bulk_load or self.n_meetings > 10_000:
            # Fresh statistics, or the planner takes the million-row tables for empty ones
            # until autovacuum comes by (the admin's lists were 10 times slower). Outside a
            # transaction, VACUUM also sets the visibility map (index-only scans), clears
            # the dead rows of the last-interaction UPDATE and empties the GIN indexes'
            # pending lists. Every table: the small ones too (users, topics, goals: a planner
            # that never saw them guesses their sizes) and the meetings' vocabulary.
            self.phase(self.analyze)
        return self.counts

    def phase(self, step) -> None:
        started = time.monotonic()
        step()
        name = step.__name__.removeprefix("seed_")
        if step.__name__ in ("open", "close"):
            name = f"load window {step.__name__}"
        self.log(f"{name}: {time.monotonic() - started:.1f} s")

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute("ANALYZE")
            else:
                cursor.execute("VACUUM (ANALYZE)")

    # --- users and permissions -------------------------------------------------------------

    def seed_users(self) -> None:
        self.municipalities = {m.name: m for m in Municipality.objects.all()}
        self.joint = next(m for m in self.municipalities.values() if m.is_joint_organisation)
        self.six = [m for m in self.municipalities.values() if not m.is_joint_organisation]
        self.six.sort(key=lambda m: m.name)
        password = make_password(data.DEMO_PASSWORD)
        users_group, coordinators_group = self.seed_groups()

        users = []
        taken = set()
        for username, first, last, role, municipality in data.DEMO_LOGINS:
            users.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@kuusikko.example",
                    role=role,
                    municipality=self.municipalities[municipality] if municipality else self.joint,
                    is_staff=True,
                    is_superuser=role == Role.ADMIN,
                    password=password,
                )
            )
            taken.add(username)
        for municipality in self.six:
            plan = [Role.TRUSTEE, Role.TRUSTEE, Role.STAFF] + (
                [Role.STAFF] if self.rng.random() < 0.5 else []
            )
            for role in plan:
                first, last = self.person_name()
                username = ascii_slug(f"{first} {last}")
                while username in taken:
                    username += str(self.rng.randint(1, 9))
                taken.add(username)
                users.append(
                    User(
                        username=username,
                        first_name=first,
                        last_name=last,
                        email=f"{username}@{ascii_slug(municipality.name, '-')}.example",
                        role=role,
                        municipality=municipality,
                        is_staff=True,
                        password=password,
                    )
                )
        for user in users:
            user.save()
        for user in users:
            if not user.is_superuser:
                user.groups.add(users_group)
            if user.role == Role.COORDINATOR:
                user.groups.add(coordinators_group)
        self.counts["users"] += len(users)
        self.users = users
        self.by_username = {u.username: u for u in users}
        self.coordinator = self.by_username["koordinaattori"]
        # Who logs meetings: trustees and staff of the six, and the coordinator most of all.
        self.authors = [u for u in users if u.role in (Role.TRUSTEE, Role.STAFF)]
        demo_logins = {login[0] for login in data.DEMO_LOGINS}
        self.author_weights = list(
            itertools.accumulate(
                (2 if u.role == Role.TRUSTEE else 3) * (3 if u.username in demo_logins else 1)
                for u in self.authors
            )
        )
        self.authors.append(self.coordinator)
        self.author_weights.append(self.author_weights[-1] + 12)

    def seed_groups(self) -> tuple[Group, Group]:
        for label in ("crm", "advocacy"):
            create_permissions(apps.get_app_config(label), verbosity=0)
        perms = Permission.objects.filter(content_type__app_label__in=["crm", "advocacy"])
        perms = [
            p
            for p in perms.select_related("content_type")
            if p.content_type.model not in HIDDEN_MODELS.get(p.content_type.app_label, [])
        ]

        def editable(p: Permission) -> bool:
            return p.content_type.model in EDITABLE_MODELS.get(p.content_type.app_label, [])

        users_group, _ = Group.objects.get_or_create(name=data.DEMO_GROUP)
        users_group.permissions.set(
            [
                p
                for p in perms
                if p.codename.startswith("view_")
                or (editable(p) and p.codename.startswith(("add_", "change_")))
            ]
        )
        coordinators_group, _ = Group.objects.get_or_create(name=data.COORDINATOR_GROUP)
        coordinators_group.permissions.set(
            [p for p in perms if editable(p) and p.codename.startswith("delete_")]
        )
        return users_group, coordinators_group

    # --- directory -------------------------------------------------------------------------

    def seed_tags(self) -> None:
        self.tags = {t.name: t for t in self.bulk(Tag, [Tag(name=n) for n in data.TAGS])}

    def seed_organisations(self) -> None:
        named = data.ORGANISATIONS[: self.n_organisations]
        rows = []
        for name, kind, website, municipality, _parent in named:
            rows.append(
                Organisation(
                    name=name,
                    kind=kind,
                    website=website,
                    municipality=self.municipalities.get(municipality),
                )
            )
        for _ in range(self.n_organisations - len(named)):
            municipality = self.rng.choice(self.six)
            if self.rng.random() < 0.7:
                name = " ".join(
                    [
                        self.rng.choice(data.COMPANY_STEMS),
                        self.rng.choice(data.COMPANY_LINES),
                        self.rng.choice(data.COMPANY_FORMS),
                    ]
                )
                kind = "company"
            else:
                genitive = data.MUNICIPALITY_FORMS[municipality.name][0]
                name = f"{genitive} {self.rng.choice(data.ASSOCIATION_KINDS)}"
                kind = "association"
            website = f"https://{ascii_slug(name, '-')}.example" if self.rng.random() < 0.4 else ""
            rows.append(
                Organisation(name=name, kind=kind, website=website, municipality=municipality)
            )
        created = self.bulk(Organisation, rows)
        by_name = {o.name: o for o in created[: len(named)]}
        children = []
        for organisation, (_n, _k, _w, _m, parent) in zip(created, named, strict=False):
            if parent and parent in by_name:
                organisation.parent = by_name[parent]
                children.append(organisation)
        Organisation.objects.bulk_update(children, ["parent"])
        self.organisations = [
            OrgInfo(
                pk=o.pk,
                name=o.name,
                kind=o.kind,
                municipality=o.municipality.name if o.municipality_id else None,
                email_domain=self._email_domain(o),
            )
            for o in created
        ]

    def _email_domain(self, organisation: Organisation) -> str:
        # Reserved .example domains: the demo never mails a real organisation.
        host = organisation.website.split("//")[-1].split("/")[0]
        stem = host.rsplit(".", 1)[0] if host else ascii_slug(organisation.name, "-")
        return f"{stem.removesuffix('.example')}.example"

    def seed_contacts(self) -> None:
        """Contacts, their positions, tags and relationship owners: COPY in chunks, the rows
        drawn from precomputed pools (names, titles by kind, e-mail slugs)."""
        self.contact_ids = reserve_ids(Contact, self.n_contacts)
        self.contact_cumulative = list(
            itertools.accumulate(data.CONTACT_WEIGHT_BY_KIND[o.kind] for o in self.organisations)
        )
        # Who is who, kept as indexes into the name pools (a million names as str would not
        # fit in a small memory as well): the meetings' notes name the person met.
        self.contact_first = array("H")
        self.contact_last = array("H")
        self.staff = [u for u in self.users if u.role != Role.ADMIN]
        self.emails: dict[tuple[str, str], int] = {}
        chunk = CONTACT_CHUNK
        for start in range(0, self.n_contacts, chunk):
            self._contact_chunk(self.contact_ids[start : start + chunk])
            if self.n_contacts > chunk:
                self.log(f"  contacts {min(start + chunk, self.n_contacts)} / {self.n_contacts}")
        del self.emails

    def contact_name(self, contact_id: int) -> str:
        index = contact_id - self.contact_ids.start
        return f"{FIRST_NAMES[self.contact_first[index]]} {LAST_NAMES[self.contact_last[index]]}"

    def _title(self, kind: str | None) -> tuple[str, bool, int]:
        titles, cumulative = TITLE_POOLS[kind]
        title, decision_maker, influence, _w = titles[
            bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])
        ]
        return title, decision_maker, influence

    def _contact_chunk(self, ids: range) -> None:
        rng = self.rng
        organisations = self.organisations
        cumulative = self.contact_cumulative
        contacts, positions, tags, owners = [], [], [], []
        tag_ids = {name: tag.pk for name, tag in self.tags.items()}
        for pk in ids:
            first_index, last_index = self.person_name_indexes()
            first, last = FIRST_NAMES[first_index], LAST_NAMES[last_index]
            self.contact_first.append(first_index)
            self.contact_last.append(last_index)
            if rng.random() < 0.06:
                organisation = None
                title, decision_maker, influence = self._title(None)
            else:
                organisation = organisations[
                    bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
                ]
                title, decision_maker, influence = self._title(organisation.kind)
                if organisation.name.endswith("kaupunki"):
                    title = title.replace("kunnan", "kaupungin")
                organisation.contact_ids.append(pk)
            if organisation and organisation.municipality:
                municipality_id = self.municipalities[organisation.municipality].pk
            elif rng.random() < 0.15:
                municipality_id = rng.choice(self.six).pk
            else:
                municipality_id = None
            email = ""
            if rng.random() < 0.85:
                domain = organisation.email_domain if organisation else "posti.example"
                local = EMAIL_LOCALS.get((first, last)) or EMAIL_LOCALS.setdefault(
                    (first, last), ascii_slug(f"{first} {last}")
                )
                seen = self.emails.get((local, domain), 0) + 1
                self.emails[(local, domain)] = seen
                email = f"{local}{seen if seen > 1 else ''}@{domain}"
            kind = organisation.kind if organisation else None
            if kind in ("company", "association", "media"):
                basis = LawfulBasis.LEGITIMATE_INTEREST
            else:
                basis = LawfulBasis.PUBLIC_TASK
            if rng.random() < 0.04:
                basis = LawfulBasis.CONSENT
            contacts.append(
                (
                    pk,
                    first,
                    last,
                    title,
                    organisation.pk if organisation else None,
                    municipality_id,
                    email,
                    decision_maker,
                    influence,
                    90 if influence == 4 and rng.random() < 0.3 else None,
                    basis,
                    register_role(kind or "", title),
                    rng.choice(data.CONTACT_NOTES),
                    self.at(self.days_ago(10, 300), 12) if rng.random() < 0.02 else None,
                    self.coordinator.pk,
                )
            )
            # Tags, relationship owners, the current position and for some a past one.
            wanted = []
            if decision_maker:
                wanted.append("päättäjä")
            if influence == 4:
                wanted.append("avainhenkilö")
            wanted += KIND_TAGS.get(kind, [])
            if rng.random() < 0.2:
                wanted.append(rng.choice(data.TAGS[6:]))
            tags += [(pk, tag_ids[name]) for name in dict.fromkeys(wanted)]
            if rng.random() < 0.45:
                for user in rng.sample(self.staff, 2 if rng.random() < 0.2 else 1):
                    owners.append((pk, user.pk))
            start = self.days_ago(120, 3650)
            positions.append(
                (pk, organisation.pk if organisation else None, title or "—", start, None)
            )
            if rng.random() < 0.3:
                past = rng.choice(organisations)
                past_end = start - datetime.timedelta(days=rng.randint(1, 60))
                past_title, *_ = rng.choice(data.TITLES[past.kind])
                positions.append(
                    (
                        pk,
                        past.pk,
                        past_title,
                        past_end - datetime.timedelta(days=rng.randint(300, 3000)),
                        past_end,
                    )
                )
        self.copy(CONTACT_COPIER, contacts, str(Contact._meta.verbose_name_plural))
        self.copy(CONTACT_TAG_COPIER, tags, "contact tags")
        self.copy(CONTACT_OWNER_COPIER, owners, "relationship owners")
        self.copy(
            CONTACT_POSITION_COPIER, positions, str(ContactPosition._meta.verbose_name_plural)
        )

    def seed_networks(self) -> None:
        networks = self.bulk(
            Network,
            [
                Network(
                    name=spec["name"],
                    kind=spec["kind"],
                    description=spec["description"],
                    owner=self.coordinator
                    if self.rng.random() < 0.7
                    else self.rng.choice(self.users),
                )
                for spec in data.NETWORKS
            ],
        )
        members = []
        for network, spec in zip(networks, data.NETWORKS, strict=True):
            candidates = [
                contact_id
                for o in self.organisations
                if o.kind in spec["contact_kinds"]
                for contact_id in o.contact_ids[:50]
            ]
            chosen = self.rng.sample(candidates, min(len(candidates), self.rng.randint(8, 30)))
            for index, contact_id in enumerate(chosen):
                role = (
                    data.NETWORK_ROLES[index]
                    if index < 3
                    else self.rng.choice(data.NETWORK_ROLES[3:])
                )
                members.append(
                    NetworkMembership(
                        network=network,
                        contact_id=contact_id,
                        role=role,
                        since=self.days_ago(30, 2500),
                    )
                )
            organisations = [o for o in self.organisations if o.kind in spec["organisation_kinds"]]
            for organisation in self.rng.sample(organisations, min(len(organisations), 4)):
                members.append(
                    NetworkMembership(
                        network=network,
                        organisation_id=organisation.pk,
                        role="jäsenorganisaatio",
                        since=self.days_ago(30, 2500),
                    )
                )
        self.bulk(NetworkMembership, members)

    # --- topics and goals ------------------------------------------------------------------

    def seed_topics_and_goals(self) -> None:
        topics = self.bulk(
            Topic,
            [
                Topic(
                    name=spec["name"],
                    description=spec["description"],
                    owner=self.coordinator,
                    priority=spec["priority"],
                    status=TopicStatus.ACTIVE,
                )
                for spec in data.TOPICS
            ],
        )
        municipality_through = Topic.municipalities.through
        tag_through = Topic.tags.through
        links, tag_links = [], []
        for topic, spec in zip(topics, data.TOPICS, strict=True):
            concerned = self.six if self.rng.random() < 0.7 else self.rng.sample(self.six, 4)
            links += [
                municipality_through(topic_id=topic.pk, municipality_id=m.pk) for m in concerned
            ]
            tag_links.append(tag_through(topic_id=topic.pk, tag_id=self.tags[spec["tag"]].pk))
        self.bulk(municipality_through, links, "topic municipalities")
        self.bulk(tag_through, tag_links, "topic tags")

        goals, plans = [], []
        for topic, spec in zip(topics, data.TOPICS, strict=True):
            for title, description, target_days in spec["goals"]:
                status = self.weighted(
                    [
                        (GoalStatus.PROPOSED, 2),
                        (GoalStatus.ACTIVE, 6),
                        (GoalStatus.ACHIEVED, 2),
                        (GoalStatus.DROPPED, 1),
                    ]
                )
                progress = {
                    GoalStatus.PROPOSED: 0,
                    GoalStatus.ACTIVE: self.rng.randrange(10, 90, 5),
                    GoalStatus.ACHIEVED: 100,
                    GoalStatus.DROPPED: self.rng.randrange(0, 40, 5),
                }[status]
                target = self.today + datetime.timedelta(days=target_days - 200)
                owner = (
                    self.coordinator if self.rng.random() < 0.6 else self.rng.choice(self.authors)
                )
                goals.append(
                    Goal(
                        topic=topic,
                        title=title,
                        description=description,
                        status=status,
                        progress=progress,
                        target_date=target,
                        owner=owner,
                    )
                )
                plans.append((status, progress))
        goals = self.bulk(Goal, goals)
        self.topics = topics
        self.goals_by_topic = {t.pk: [g for g in goals if g.topic_id == t.pk] for t in topics}
        self.goals = goals
        self._endorsements(goals)
        self._progress_trail(goals)

    def _endorsements(self, goals) -> None:
        rows = []
        for goal in goals:
            endorsing = self.six if self.rng.random() < 0.6 else self.rng.sample(self.six, 4)
            for municipality in endorsing:
                state = self.weighted(
                    [
                        (EndorsementState.ENDORSED, 6 if goal.status != GoalStatus.PROPOSED else 1),
                        (EndorsementState.PROPOSED, 3),
                        (EndorsementState.DECLINED, 1),
                    ]
                )
                body = reference = ""
                decided = None
                if state != EndorsementState.PROPOSED:
                    town = data.MUNICIPALITY_FORMS[municipality.name][2]
                    council = self.rng.random() < 0.3
                    body = ("kaupungin" if town else "kunnan") + (
                        "valtuusto" if council else "hallitus"
                    )
                    decided = self.weekday(self.days_ago(15, 330))
                    reference = (
                        f"{'KV' if council else 'KH'} {decided.day}.{decided.month}.{decided.year}"
                        f" § {self.rng.randint(3, 190)}"
                    )
                rows.append(
                    GoalEndorsement(
                        goal=goal,
                        municipality=municipality,
                        state=state,
                        deciding_body=body,
                        decision_date=decided,
                        minutes_reference=reference,
                    )
                )
        self.bulk(GoalEndorsement, rows)

    def _progress_trail(self, goals) -> None:
        rows = []
        for goal in goals:
            steps = 1 if goal.status == GoalStatus.PROPOSED else self.rng.randint(2, 5)
            day = self.days_ago(250, 360)
            for step in range(steps):
                last = step == steps - 1
                if last:
                    status, progress = goal.status, goal.progress
                elif step == 0:
                    status, progress = GoalStatus.PROPOSED, 0
                else:
                    status = GoalStatus.ACTIVE
                    progress = min(goal.progress, round(goal.progress * step / steps / 5) * 5)
                rows.append(
                    GoalProgress(
                        goal=goal,
                        author=goal.owner or self.coordinator,
                        created_at=self.at(day, self.rng.randint(8, 16), self.rng.choice([0, 30])),
                        status=status,
                        progress=progress,
                        note=self.rng.choice(data.GOAL_PROGRESS_NOTES),
                    )
                )
                day = min(self.today, day + datetime.timedelta(days=self.rng.randint(20, 80)))
        self.bulk(GoalProgress, rows)

    # --- meetings, follow-ups and reminders ------------------------------------------------

    def seed_meetings(self) -> None:
        self.log(f"Meetings: {self.n_meetings} …")
        # Draw all the times first and log them in order, as people would. A time is a
        # minute of the year (an int: five million of them sort in seconds and take little
        # room); the few thousand distinct ones become datetimes once, through a cache.
        times = [self._meeting_minute() for _ in range(self.n_meetings)]
        times.sort()
        times = array("l", times)
        self.time_cache: dict[int, tuple[datetime.datetime, datetime.date]] = {}
        met = [o for o in self.organisations if o.contact_ids]
        self.met_organisations = met
        self.met_cumulative = list(
            itertools.accumulate(
                data.MEETING_WEIGHT_BY_KIND[o.kind] * min(len(o.contact_ids), 20) for o in met
            )
        )
        self.topic_cumulative = list(itertools.accumulate(t.priority for t in self.topics))
        for start in range(0, len(times), MEETING_CHUNK):
            self._meeting_chunk(times[start : start + MEETING_CHUNK])
            if self.n_meetings > MEETING_CHUNK and (start // MEETING_CHUNK) % 10 == 9:
                self.log(f"  meetings {min(start + MEETING_CHUNK, len(times))} / {len(times)}")

    def _meeting_minute(self) -> int:
        """A day of the past year, 8 to 17 o'clock, on the quarter hour (mostly full), as
        minutes from today's midnight (negative: in the past); in order when sorted."""
        rng = self.rng
        days = rng.randint(1, 365)
        return -days * 1440 + rng.randint(8, 17) * 60 + rng.choice([0, 0, 15, 30, 45])

    def _meeting_time(self, minute: int) -> tuple[datetime.datetime, datetime.date]:
        """The meeting's time and day (the nearest working day on or before the one drawn)."""
        cached = self.time_cache.get(minute)
        if cached is None:
            days, time_of_day = divmod(minute, 1440)
            day = self.weekday(self.today + datetime.timedelta(days=days))
            at = self.at(day, time_of_day // 60, time_of_day % 60)
            cached = self.time_cache[minute] = (at, day)
        return cached

    def _meeting_chunk(self, times) -> None:
        rng = self.rng
        meeting_ids = reserve_ids(Meeting, len(times))
        meetings, contacts, organisations, topic_links, goal_links, participant_links = (
            [] for _ in range(6)
        )
        follow_ups = []
        for meeting_id, minute in zip(meeting_ids, times, strict=True):
            occurred_at, day = self._meeting_time(minute)
            author = self.authors[
                bisect.bisect_right(self.author_weights, rng.random() * self.author_weights[-1])
            ]
            organisation = self.met_organisations[
                bisect.bisect_right(self.met_cumulative, rng.random() * self.met_cumulative[-1])
            ]
            contact_ids = rng.sample(
                organisation.contact_ids,
                min(len(organisation.contact_ids), rng.choice(PEOPLE_MET)),
            )
            organisation_ids = [organisation.pk]
            if rng.random() < 0.2:
                other = rng.choice(self.met_organisations)
                extra = rng.choice(other.contact_ids)
                if extra not in contact_ids:
                    contact_ids.append(extra)
                    if other.pk != organisation.pk:
                        organisation_ids.append(other.pk)
            topic_indexes = sorted(
                {
                    bisect.bisect_right(
                        self.topic_cumulative, rng.random() * self.topic_cumulative[-1]
                    )
                    for _ in range(1 if rng.random() < 0.7 else 2)
                }
            )
            spec = data.TOPICS[topic_indexes[0]]
            topic_ids = [self.topics[i].pk for i in topic_indexes]
            goal_ids = [
                rng.choice(self.goals_by_topic[topic_id]).pk
                for topic_id in topic_ids
                if rng.random() < 0.45 and self.goals_by_topic[topic_id]
            ]
            kind = self.draw(MEETING_KINDS)
            title = rng.choice(data.TITLE_PATTERNS[kind]).format(
                org=organisation.name, topic=spec["short"], event=rng.choice(data.EVENTS)
            )
            title = (title[0].upper() + title[1:])[:200]
            if kind == "in_person":
                place = (
                    data.MUNICIPALITY_FORMS[author.municipality.name][1]
                    if author.municipality_id != self.joint.pk and rng.random() < 0.4
                    else rng.choice(data.MEETING_PLACES)
                )
            elif kind == "online":
                place = rng.choice(data.ONLINE_PLACES)
            elif kind == "event":
                place = title
            else:
                place = ""
            person = self.contact_name(contact_ids[0])
            notes = " ".join(
                [
                    rng.choice(data.NOTE_OPENINGS).format(topic_el=spec["elative"], person=person),
                    *rng.sample(data.NOTE_MIDDLES, rng.randint(1, 3)),
                ]
            )
            participants = [author.pk]
            if rng.random() < 0.4:
                colleague = rng.choice(self.users)
                if colleague.pk != author.pk and colleague.role != Role.ADMIN:
                    participants.append(colleague.pk)
            visibility = self.draw(VISIBILITIES)
            meetings.append(
                (
                    meeting_id,
                    occurred_at,
                    kind,
                    title,
                    place[:200],
                    notes,
                    rng.choice(data.OUTCOMES),
                    visibility,
                    author.pk,
                    author.municipality_id,
                )
            )
            # The copies in MEETING_COPIED_COLUMNS' order.
            copies = (occurred_at, visibility, author.municipality_id, author.pk)
            contacts += [(meeting_id, c, *copies) for c in contact_ids]
            organisations += [(meeting_id, o) for o in organisation_ids]
            topic_links += [(meeting_id, t) for t in topic_ids]
            goal_links += [(meeting_id, g) for g in goal_ids]
            participant_links += [(meeting_id, u) for u in participants]
            roll = rng.random()
            for _ in range(2 if roll < 0.05 else 1 if roll < 0.32 else 0):
                follow_ups.append(
                    self._follow_up(
                        meeting_id=meeting_id,
                        assignee_id=rng.choice(participants),
                        created_by_id=author.pk,
                        start=day,
                        topic=spec["short"],
                    )
                )
        self.copy(MEETING_COPIER, meetings, "meetings")
        self.copy(MEETING_CONTACT_COPIER, contacts, "participants")
        self.copy(MEETING_ORGANISATION_COPIER, organisations, "meeting organisations")
        self.copy(MEETING_TOPIC_COPIER, topic_links, "meeting topics")
        self.copy(MEETING_GOAL_COPIER, goal_links, "meeting goals")
        self.copy(MEETING_PARTICIPANT_COPIER, participant_links, "our participants")
        self._save_follow_ups(follow_ups)

    def seed_goal_follow_ups(self) -> None:
        follow_ups = []
        for goal in self.goals:
            if goal.status in (GoalStatus.ACHIEVED, GoalStatus.DROPPED):
                continue
            for _ in range(self.rng.randint(0, 2)):
                follow_ups.append(
                    self._follow_up(
                        goal_id=goal.pk,
                        assignee_id=(goal.owner or self.coordinator).pk,
                        created_by_id=self.coordinator.pk,
                        start=self.days_ago(5, 120),
                        topic=goal.title,
                    )
                )
        self._save_follow_ups(follow_ups)

    def _follow_up(
        self, *, start, topic, assignee_id, created_by_id, meeting_id=None, goal_id=None
    ) -> dict:
        rng = self.rng
        due = start + datetime.timedelta(days=rng.randint(3, 45))
        if due < self.today:
            # Some recent ones are overdue; old ones were dealt with long ago.
            recent = (self.today - due).days <= 45
            status = self.draw(RECENT_FOLLOW_UP_STATES if recent else OLD_FOLLOW_UP_STATES)
        else:
            status = FollowUpStatus.OPEN if rng.random() < 0.9 else FollowUpStatus.DONE
        completed_at, note = None, ""
        if status != FollowUpStatus.OPEN:
            latest = max(1, (due - start).days + 5)
            done_day = start + datetime.timedelta(days=rng.randint(1, latest))
            done_day = min(done_day, self.today - datetime.timedelta(days=1))
            completed_at = self.at(max(done_day, start), rng.randint(8, 16), rng.randint(0, 59))
            notes = data.COMPLETION_NOTES if status == FollowUpStatus.DONE else data.CANCEL_NOTES
            note = rng.choice(notes)
        return {
            "meeting_id": meeting_id,
            "goal_id": goal_id,
            "description": rng.choice(data.FOLLOW_UP_DESCRIPTIONS).format(topic=topic),
            "assignee_id": assignee_id,
            "due_date": due,
            "status": status,
            "completion_note": note,
            "completed_at": completed_at,
            "completed_by_id": assignee_id if completed_at else None,
            "created_by_id": created_by_id,
        }

    def _save_follow_ups(self, follow_ups: list[dict]) -> None:
        ids = reserve_ids(FollowUp, len(follow_ups))
        self.copy(
            FOLLOW_UP_COPIER,
            (
                (pk, *(f[name] for name in FOLLOW_UP_COPIER.fields[1:]))
                for pk, f in zip(ids, follow_ups, strict=True)
            ),
            "follow-ups",
        )
        reminders = []
        first_nine = self.at(self.today, 9)
        tomorrow_nine = self.at(self.today + datetime.timedelta(days=1), 9)
        for pk, follow_up in zip(ids, follow_ups, strict=True):
            due_at = self.at(follow_up["due_date"], 9)
            status, completed_at = follow_up["status"], follow_up["completed_at"]
            if status == FollowUpStatus.OPEN:
                state = ReminderState.SENT if due_at < first_nine else ReminderState.PENDING
            elif completed_at > due_at:
                state = ReminderState.SENT
            else:  # closed before it was due: the reminder was cancelled
                state = ReminderState.CANCELLED
            channels = [Channel.EMAIL] + ([Channel.IN_APP] if self.rng.random() < 0.3 else [])
            if state != ReminderState.PENDING and self.closed_reminder_share < 1:
                # Over a total asked for: part of the reminders done with are not kept.
                if self.rng.random() >= self.closed_reminder_share:
                    channels = []
            for channel in channels:
                reminders.append(
                    self._reminder(
                        kind=ReminderKind.FOLLOW_UP_DUE,
                        recipient_id=follow_up["assignee_id"],
                        channel=channel,
                        due_at=due_at,
                        state=state,
                        follow_up_id=pk,
                        key="due",
                    )
                )
            if status == FollowUpStatus.OPEN and follow_up["due_date"] < self.today:
                reminders.append(
                    self._reminder(
                        kind=ReminderKind.FOLLOW_UP_OVERDUE,
                        recipient_id=follow_up["assignee_id"],
                        channel=Channel.EMAIL,
                        due_at=tomorrow_nine,
                        state=ReminderState.PENDING,
                        follow_up_id=pk,
                        key="overdue",
                    )
                )
        self._save_reminders(reminders)

    def _reminder(self, *, due_at, state, follow_up_id=None, contact_id=None, **fields) -> dict:
        sent = state == ReminderState.SENT
        return {
            **fields,
            "due_at": due_at,
            "state": state,
            "attempts": 1 if sent else 0,
            "claimed_at": due_at if sent else None,
            "sent_at": due_at + datetime.timedelta(seconds=30) if sent else None,
            "follow_up_id": follow_up_id,
            "contact_id": contact_id,
        }

    def _save_reminders(self, reminders: list[dict]) -> None:
        ids = reserve_ids(Reminder, len(reminders))
        self.copy(
            REMINDER_COPIER,
            (
                (pk, *(r[name] for name in REMINDER_COPIER.fields[1:]))
                for pk, r in zip(ids, reminders, strict=True)
            ),
            "reminders",
        )
        # What an in-app reminder left behind once it was sent.
        notifications = [
            (
                r["recipient_id"],
                pk,
                r["kind"],
                data.NOTIFICATION_SUBJECTS[r["kind"]],
                r["sent_at"],
                r["sent_at"] + datetime.timedelta(hours=2) if self.rng.random() < 0.6 else None,
            )
            for pk, r in zip(ids, reminders, strict=True)
            if r["channel"] == Channel.IN_APP and r["state"] == ReminderState.SENT
        ]
        self.copy(NOTIFICATION_COPIER, notifications, "notifications")

    def copy(self, copier: RowCopier, rows, label: str) -> None:
        self.counts[label] += copier.write(rows)

    def set_last_interaction(self) -> None:
        """Every contact's `last_interaction_at` = its latest meeting, in one statement."""
        query = LAST_INTERACTION_SQL.format(  # nosec B608  # table names from the models
            contact=Contact._meta.db_table,
            link=MeetingContact._meta.db_table,
            meeting=Meeting._meta.db_table,
        )
        with connection.cursor() as cursor:
            cursor.execute(query)

    def seed_digests_and_alerts(self) -> None:
        """Weekly digests (past ones sent, next one pending) and not-met-lately alerts."""
        reminders = []
        monday = self.today - datetime.timedelta(days=self.today.weekday())
        for user in self.users:
            if user.is_superuser:
                continue
            for weeks_ahead in range(-3, 2):
                week_start = monday + datetime.timedelta(weeks=weeks_ahead)
                iso = week_start.isocalendar()
                reminders.append(
                    self._reminder(
                        kind=ReminderKind.WEEKLY_DIGEST,
                        recipient_id=user.pk,
                        channel=Channel.EMAIL,
                        due_at=self.at(week_start, 7),
                        state=ReminderState.SENT if weeks_ahead < 1 else ReminderState.PENDING,
                        key=f"{iso.year}-W{iso.week:02d}",
                    )
                )
        stale = (
            Contact.objects.decision_makers()
            .active()
            .filter(influence_level=4)
            .not_met_since(self.at(self.today - datetime.timedelta(days=120), 0))
            .order_by("id")
            .values_list("pk", flat=True)[:12]
        )
        for contact_id in stale:
            reminders.append(
                self._reminder(
                    kind=ReminderKind.STALE_CONTACT,
                    recipient_id=self.coordinator.pk,
                    channel=Channel.IN_APP,
                    due_at=self.at(self.today, 8),
                    state=ReminderState.PENDING,
                    contact_id=contact_id,
                    key=f"{self.today:%Y-%m}",
                )
            )
        self._save_reminders(reminders)

    def seed_due_reminders(self) -> None:
        """`due_reminders` pending e-mail reminders falling due at once (a minute ago), for
        the reminder benchmark: one per open follow-up, round robin, as many as asked."""
        if not self.n_due_reminders:
            return
        open_follow_ups = list(
            FollowUp.objects.filter(status=FollowUpStatus.OPEN)
            .order_by("id")
            .values_list("pk", "assignee_id")
        )
        if not open_follow_ups:
            return
        due_at = timezone.now() - datetime.timedelta(minutes=1)
        self._save_reminders(
            [
                self._reminder(
                    kind=ReminderKind.FOLLOW_UP_DUE,
                    recipient_id=assignee_id,
                    channel=Channel.EMAIL,
                    due_at=due_at,
                    state=ReminderState.PENDING,
                    follow_up_id=follow_up_id,
                    key=f"due-now-{n}",
                )
                for n, (follow_up_id, assignee_id) in (
                    (n, open_follow_ups[n % len(open_follow_ups)])
                    for n in range(self.n_due_reminders)
                )
            ]
        )


def seed_demo(**options) -> Counter[str] | None:
    """Fill a fresh database with the demo data set; None if it is seeded or not fresh."""
    if already_seeded() or holds_other_data():
        return None
    return DemoSeeder(**options).run()


# Titles that the transparency register names in person (advocacy/transparency.py).
NAMED_TITLES = (
    ("valtiosihteeri", RegisterRole.STATE_SECRETARY),
    ("erityisavustaja", RegisterRole.SPECIAL_ADVISER),
    ("ministeri", RegisterRole.MINISTER),
    ("kansliapäällikkö", RegisterRole.TOP_OFFICIAL),
    ("ylijohtaja", RegisterRole.TOP_OFFICIAL),
    ("pääjohtaja", RegisterRole.TOP_OFFICIAL),
)


@functools.cache
def register_role(kind: str, title: str) -> str:
    if kind == "parliament" and "kansanedustaja" in title.lower():
        return RegisterRole.MP
    if kind == "ministry" and "osastopäällikkö" in title.lower():
        return RegisterRole.TOP_OFFICIAL
    for word, role in NAMED_TITLES:
        if word in title.lower():
            return role
    return RegisterRole.OTHER

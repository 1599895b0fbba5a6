"""The demo data set of the six municipalities (`manage.py seed_demo`).

Deterministic: everything is drawn from one `random.Random(seed)` in a fixed order, and dates
are anchored on `today`, so the same seed and day give the same data (in a fresh database, ids
too). Fast at scale: the directory is written with `bulk_create` in batches; meetings, their
links, follow-ups and reminders with COPY (`RowCopier`), in chunks so that a million meetings
never sit in memory at once; `Contact.last_interaction_at` is set by one UPDATE at the end. The
whole seed is one transaction, and the history triggers record it (context source "seed_demo").
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import pghistory
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.utils import timezone

from advocacy import demo_data as data
from advocacy.models import (
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
MEETING_CHUNK = 20000

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
        self.filled = [f for f in model._meta.concrete_fields if f.attname not in fields]
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
MEETING_CONTACT_COPIER = RowCopier(MeetingContact, ["meeting_id", "contact_id"])
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

    def weighted(self, pairs):
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def person_name(self) -> tuple[str, str]:
        names = data.FEMALE_FIRST_NAMES if self.rng.random() < 0.5 else data.MALE_FIRST_NAMES
        return self.rng.choice(names), self.rng.choice(data.LAST_NAMES)

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
            self.seed_users()
            self.seed_tags()
            self.seed_organisations()
            self.seed_contacts()
            self.seed_networks()
            self.seed_topics_and_goals()
            self.seed_meetings()
            self.seed_goal_follow_ups()
            self.set_last_interaction()
            self.seed_digests_and_alerts()
        if self.n_meetings > 10_000:
            # Fresh statistics, or the planner takes the million-row tables for empty ones
            # until autovacuum comes by (the admin's lists were 10 times slower).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return self.counts

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
        organisations = self.organisations
        weights = [data.CONTACT_WEIGHT_BY_KIND[o.kind] for o in organisations]
        cumulative = list(itertools.accumulate(weights))
        rows, positions_plan = [], []
        emails = Counter()
        for _ in range(self.n_contacts):
            first, last = self.person_name()
            if self.rng.random() < 0.06:
                organisation = None
                title, decision_maker, influence, _w = self.weighted(
                    [(t, t[3]) for t in data.INDEPENDENT_TITLES]
                )
            else:
                organisation = organisations[
                    bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])
                ]
                title, decision_maker, influence, _w = self.weighted(
                    [(t, t[3]) for t in data.TITLES[organisation.kind]]
                )
                if organisation.name.endswith("kaupunki"):
                    title = title.replace("kunnan", "kaupungin")
            if organisation and organisation.municipality:
                municipality = self.municipalities[organisation.municipality]
            elif self.rng.random() < 0.15:
                municipality = self.rng.choice(self.six)
            else:
                municipality = None
            email = ""
            if self.rng.random() < 0.85:
                domain = organisation.email_domain if organisation else "posti.example"
                local = ascii_slug(f"{first} {last}")
                emails[(local, domain)] += 1
                suffix = str(emails[(local, domain)]) if emails[(local, domain)] > 1 else ""
                email = f"{local}{suffix}@{domain}"
            if organisation and organisation.kind in ("company", "association", "media"):
                basis = LawfulBasis.LEGITIMATE_INTEREST
            else:
                basis = LawfulBasis.PUBLIC_TASK
            if self.rng.random() < 0.04:
                basis = LawfulBasis.CONSENT
            rows.append(
                Contact(
                    first_name=first,
                    last_name=last,
                    title=title,
                    organisation_id=organisation.pk if organisation else None,
                    municipality=municipality,
                    email=email,
                    is_decision_maker=decision_maker,
                    influence_level=influence,
                    stale_after_days=90 if influence == 4 and self.rng.random() < 0.3 else None,
                    lawful_basis=basis,
                    register_role=register_role(organisation.kind if organisation else "", title),
                    notes=self.rng.choice(data.CONTACT_NOTES),
                    archived_at=(
                        self.at(self.days_ago(10, 300), 12) if self.rng.random() < 0.02 else None
                    ),
                    created_by=self.coordinator,
                )
            )
            positions_plan.append((organisation, title))
        contacts = self.bulk(Contact, rows)
        self.contact_names = {c.pk: c.full_name for c in contacts}
        for contact, (organisation, _title) in zip(contacts, positions_plan, strict=True):
            if organisation:
                organisation.contact_ids.append(contact.pk)
        self._contact_links(contacts, positions_plan)

    def _contact_links(self, contacts, positions_plan) -> None:
        tag_through = Contact.tags.through
        owner_through = Contact.relationship_owners.through
        tags, owners, positions = [], [], []
        staff = [u for u in self.users if u.role != Role.ADMIN]
        for contact, (organisation, title) in zip(contacts, positions_plan, strict=True):
            wanted = []
            if contact.is_decision_maker:
                wanted.append("päättäjä")
            if contact.influence_level == 4:
                wanted.append("avainhenkilö")
            kind = organisation.kind if organisation else None
            wanted += {
                "parliament": ["kansanedustaja"],
                "media": ["media"],
                "company": ["yrittäjä"],
                "ministry": ["virkamies"],
                "agency": ["virkamies"],
            }.get(kind, [])
            if self.rng.random() < 0.2:
                wanted.append(self.rng.choice(data.TAGS[6:]))
            for name in dict.fromkeys(wanted):
                tags.append(tag_through(contact_id=contact.pk, tag_id=self.tags[name].pk))
            if self.rng.random() < 0.45:
                for user in self.rng.sample(staff, 2 if self.rng.random() < 0.2 else 1):
                    owners.append(owner_through(contact_id=contact.pk, user_id=user.pk))
            # The current position, and for some a past one.
            start = self.days_ago(120, 3650)
            positions.append(
                ContactPosition(
                    contact_id=contact.pk,
                    organisation_id=organisation.pk if organisation else None,
                    title=title or "—",
                    start_date=start,
                )
            )
            if self.rng.random() < 0.3:
                past = self.rng.choice(self.organisations)
                past_end = start - datetime.timedelta(days=self.rng.randint(1, 60))
                past_title, *_ = self.rng.choice(data.TITLES[past.kind])
                positions.append(
                    ContactPosition(
                        contact_id=contact.pk,
                        organisation_id=past.pk,
                        title=past_title,
                        start_date=past_end - datetime.timedelta(days=self.rng.randint(300, 3000)),
                        end_date=past_end,
                    )
                )
        self.bulk(tag_through, tags, "contact tags")
        self.bulk(owner_through, owners, "relationship owners")
        self.bulk(ContactPosition, positions)

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
        # Draw all the times first and log them in order, as people would.
        times = sorted(self._meeting_time() for _ in range(self.n_meetings))
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
            if self.n_meetings > MEETING_CHUNK:
                self.log(f"  {min(start + MEETING_CHUNK, len(times))} / {len(times)}")

    def _meeting_time(self) -> datetime.datetime:
        day = self.today - datetime.timedelta(days=self.rng.randint(1, 365))
        day = self.weekday(day)
        return self.at(day, self.rng.randint(8, 17), self.rng.choice([0, 0, 15, 30, 45]))

    def _meeting_chunk(self, times) -> None:
        rng = self.rng
        meeting_ids = reserve_ids(Meeting, len(times))
        meetings, contacts, organisations, topic_links, goal_links, participant_links = (
            [] for _ in range(6)
        )
        follow_ups = []
        for meeting_id, occurred_at in zip(meeting_ids, times, strict=True):
            author = self.authors[
                bisect.bisect_right(self.author_weights, rng.random() * self.author_weights[-1])
            ]
            organisation = self.met_organisations[
                bisect.bisect_right(self.met_cumulative, rng.random() * self.met_cumulative[-1])
            ]
            contact_ids = rng.sample(
                organisation.contact_ids,
                min(len(organisation.contact_ids), rng.choice([1, 1, 2, 3])),
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
            kind = self.weighted(data.MEETING_KIND_WEIGHTS)
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
            person = self.contact_names[contact_ids[0]]
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
            meetings.append(
                (
                    meeting_id,
                    occurred_at,
                    kind,
                    title,
                    place[:200],
                    notes,
                    rng.choice(data.OUTCOMES),
                    self.weighted(data.VISIBILITY_WEIGHTS),
                    author.pk,
                    author.municipality_id,
                )
            )
            contacts += [(meeting_id, c) for c in contact_ids]
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
                        start=timezone.localtime(occurred_at).date(),
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
            status = self.weighted(
                [
                    (FollowUpStatus.DONE, 70),
                    (FollowUpStatus.CANCELLED, 8),
                    (FollowUpStatus.OPEN, 22 if recent else 1),
                ]
            )
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


def register_role(kind: str, title: str) -> str:
    if kind == "parliament" and "kansanedustaja" in title.lower():
        return RegisterRole.MP
    if kind == "ministry" and "osastopäällikkö" in title.lower():
        return RegisterRole.TOP_OFFICIAL
    for word, role in NAMED_TITLES:
        if word in title.lower():
            return role
    return RegisterRole.OTHER

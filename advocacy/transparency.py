"""The Finnish transparency register (avoimuusrekisteri, Act 430/2023) roll-up of meetings.

The register takes, for each half-year (1 Jan–30 Jun, 1 Jul–31 Dec), one entry per topic: the
topic as free text of 50–600 characters or a Government project number, and every target of
the lobbying, each with one contact method from the register's fixed list. MPs, ministers,
state secretaries, ministers' special advisers and top officials are named in person; anyone
else is reported by organisation, department and unit. Disclosures are due in July–August (for
the spring) and January–February (for the autumn).

Municipal authorities are exempt from the duty; this serves the development company they own
and voluntary openness. A data-holder with five or fewer lobbying contacts in a calendar year
is under the small-scale threshold; the roll-up shows the count.

What counts here: the meetings the reader may see (`visible_to`), each meeting's topics, and
as targets its participants (`Contact.register_role` decides "named" or "by organisation") and
any organisation of the meeting that none of its participants belongs to. A lobbying contact is
one target reached in one meeting.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import NAMED_REGISTER_ROLES, Contact, Organisation, User

from .exports import write_csv
from .models import Meeting, MeetingKind, Topic

SMALL_SCALE_THRESHOLD = 5
SUBJECT_MIN, SUBJECT_MAX = 50, 600


class RegisterMethod(models.TextChoices):
    """The register's fixed list of contact methods, in order of precedence: a target reached
    in several ways under one topic is reported with the first of its methods here."""

    MEETING = "meeting", gettext_lazy("meeting")
    REMOTE_MEETING = "remote_meeting", gettext_lazy("remote meeting")
    EVENT = "event", gettext_lazy("event")
    PHONE = "phone", gettext_lazy("phone call")
    EMAIL = "email", gettext_lazy("e-mail")
    TEXT_MESSAGE = "text_message", gettext_lazy("text message")
    SOCIAL_MEDIA = "social_media", gettext_lazy("instant message or social media")
    OTHER = "other", gettext_lazy("other")


METHOD_OF_KIND = {
    MeetingKind.IN_PERSON: RegisterMethod.MEETING,
    MeetingKind.ONLINE: RegisterMethod.REMOTE_MEETING,
    MeetingKind.EVENT: RegisterMethod.EVENT,
    MeetingKind.PHONE: RegisterMethod.PHONE,
    MeetingKind.EMAIL: RegisterMethod.EMAIL,
    MeetingKind.TEXT_MESSAGE: RegisterMethod.TEXT_MESSAGE,
    MeetingKind.SOCIAL_MEDIA: RegisterMethod.SOCIAL_MEDIA,
    MeetingKind.OTHER: RegisterMethod.OTHER,
}
METHOD_RANK = {m: i for i, m in enumerate(RegisterMethod.values)}


@dataclass(frozen=True)
class HalfYear:
    year: int
    half: int  # 1 or 2

    @classmethod
    def of(cls, day: datetime.date) -> HalfYear:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, text: str) -> HalfYear:
        """'2026-1' or '2026H2'."""
        cleaned = text.upper().replace("H", "-").replace("/", "-")
        year, half = cleaned.split("-")[:2]
        if half not in ("1", "2") or not re.fullmatch(r"[0-9]{4}", year):
            raise ValueError(text)
        if not 1990 <= int(year) <= 2100:
            raise ValueError(text)
        return cls(int(year), int(half))

    def __str__(self) -> str:
        return f"{self.year}-{self.half}"

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> datetime.date:
        return (
            datetime.date(self.year, 6, 30) if self.half == 1 else datetime.date(self.year, 12, 31)
        )

    @property
    def next(self) -> HalfYear:
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)

    @property
    def previous(self) -> HalfYear:
        return HalfYear(self.year, 1) if self.half == 2 else HalfYear(self.year - 1, 2)

    @property
    def disclosure_window(self) -> tuple[datetime.date, datetime.date]:
        """July–August for the spring, January–February of the next year for the autumn."""
        if self.half == 1:
            return datetime.date(self.year, 7, 1), datetime.date(self.year, 8, 31)
        next_march = datetime.date(self.year + 1, 3, 1)
        return datetime.date(self.year + 1, 1, 1), next_march - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Target:
    """Whom the register names: a person, or an organisation / department / unit."""

    person: str = ""
    role: str = ""
    organisation: str = ""
    department: str = ""
    unit: str = ""

    @property
    def is_person(self) -> bool:
        return bool(self.person)

    def __str__(self) -> str:
        if self.person:
            return ", ".join(filter(None, [self.person, self.role, self.organisation]))
        return " / ".join(filter(None, [self.organisation, self.department, self.unit])) or _(
            "(organisation unknown)"
        )


@dataclass
class TargetRow:
    target: Target
    method: str
    contacts: int  # meetings in which this target was reached

    @property
    def method_label(self) -> str:
        return str(RegisterMethod(self.method).label)


@dataclass
class RegisterEntry:
    topic: Topic | None
    subject: str
    government_project: str
    targets: list[TargetRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class YearCount:
    year: int
    contacts: int

    @property
    def small_scale(self) -> bool:
        return self.contacts <= SMALL_SCALE_THRESHOLD


@dataclass
class TransparencyReport:
    half_year: HalfYear
    entries: list[RegisterEntry]
    year_counts: list[YearCount]
    meetings_without_targets: int

    @property
    def threshold(self) -> int:
        return SMALL_SCALE_THRESHOLD


class _Organisations:
    """Every organisation's name and parent, read once, to give any unit its chain."""

    def __init__(self) -> None:
        self.rows = {
            pk: (name, parent)
            for pk, name, parent in Organisation.objects.values_list("pk", "name", "parent_id")
        }

    def chain(self, pk: int) -> list[int]:
        chain, seen = [], set()
        while pk is not None and pk in self.rows and pk not in seen:
            seen.add(pk)
            chain.append(pk)
            pk = self.rows[pk][1]
        return list(reversed(chain))

    def target(self, pk: int | None) -> Target:
        names = [self.rows[p][0] for p in self.chain(pk)] if pk is not None else []
        return Target(
            organisation=names[0] if names else "",
            department=names[1] if len(names) > 1 else "",
            unit=" / ".join(names[2:]),
        )


def _meetings(user: User, start: datetime.date, end: datetime.date):
    zone = ZoneInfo(settings.TIME_ZONE)
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return (
        Meeting.objects.visible_to(user)
        .filter(occurred_at__gte=since, occurred_at__lt=until)
        .prefetch_related(
            models.Prefetch(
                "contacts",
                queryset=Contact.objects.only(
                    "pk",
                    "first_name",
                    "last_name",
                    "title",
                    "organisation_id",
                    "register_role",
                    "anonymised_at",
                ),
            ),
            models.Prefetch("organisations", queryset=Organisation.objects.only("pk")),
            "topics",
        )
        .order_by("occurred_at", "pk")
    )


def meeting_targets(meeting: Meeting, organisations: _Organisations) -> list[Target]:
    """The register targets of one meeting, each once."""
    targets: dict[Target, None] = {}
    covered: set[int] = set()
    for contact in meeting.contacts.all():
        if contact.organisation_id:
            covered.update(organisations.chain(contact.organisation_id))
        if contact.register_role in NAMED_REGISTER_ROLES and not contact.anonymised_at:
            org = organisations.target(contact.organisation_id)
            targets[
                Target(person=contact.full_name, role=contact.title, organisation=org.organisation)
            ] = None
        else:
            targets[organisations.target(contact.organisation_id)] = None
    for organisation in meeting.organisations.all():
        if organisation.pk not in covered:
            targets[organisations.target(organisation.pk)] = None
    return list(targets)


def _subject(topic: Topic) -> tuple[str, str, list[str]]:
    problems = []
    if topic.government_project:
        return "", topic.government_project, problems
    subject = (topic.register_subject or topic.description or topic.name).strip()
    if not SUBJECT_MIN <= len(subject) <= SUBJECT_MAX:
        problems.append(
            _("The register wants %(min)d–%(max)d characters; this is %(n)d.")
            % {"min": SUBJECT_MIN, "max": SUBJECT_MAX, "n": len(subject)}
        )
    return subject, "", problems


def count_contacts(user: User, year: int) -> int:
    """Lobbying contacts (a target reached in a meeting) in one calendar year."""
    organisations = _Organisations()
    meetings = _meetings(user, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    return sum(len(meeting_targets(m, organisations)) for m in meetings)


def build_transparency_report(*, user: User, half_year: HalfYear) -> TransparencyReport:
    organisations = _Organisations()
    by_topic: dict[int | None, dict[Target, list]] = defaultdict(dict)
    topics: dict[int, Topic] = {}
    without_targets = 0
    for meeting in _meetings(user, half_year.start, half_year.end):
        targets = meeting_targets(meeting, organisations)
        if not targets:
            without_targets += 1
            continue
        method = METHOD_OF_KIND.get(meeting.kind, RegisterMethod.OTHER)
        meeting_topics = list(meeting.topics.all()) or [None]
        for topic in meeting_topics:
            if topic is not None:
                topics[topic.pk] = topic
            rows = by_topic[topic.pk if topic else None]
            for target in targets:
                best, count = rows.get(target, (method, 0))
                if METHOD_RANK[method] < METHOD_RANK[best]:
                    best = method
                rows[target] = (best, count + 1)
    entries = []
    for topic_id, rows in by_topic.items():
        topic = topics.get(topic_id)
        if topic is None:
            entry = RegisterEntry(
                topic=None,
                subject="",
                government_project="",
                problems=[_("Meetings without a topic: give them a topic to report them.")],
            )
        else:
            subject, project, problems = _subject(topic)
            entry = RegisterEntry(
                topic=topic, subject=subject, government_project=project, problems=problems
            )
        entry.targets = sorted(
            (TargetRow(target=t, method=m, contacts=n) for t, (m, n) in rows.items()),
            key=lambda r: (not r.target.is_person, str(r.target)),
        )
        entries.append(entry)
    entries.sort(key=lambda e: (e.topic is None, e.topic.name if e.topic else ""))
    years = sorted({half_year.year, half_year.end.year})
    return TransparencyReport(
        half_year=half_year,
        entries=entries,
        year_counts=[YearCount(year=y, contacts=count_contacts(user, y)) for y in years],
        meetings_without_targets=without_targets,
    )


def transparency_csv(report: TransparencyReport) -> bytes:
    header = [
        _("half-year"),
        _("topic"),
        _("subject"),
        _("Government project"),
        _("target type"),
        _("name"),
        _("role"),
        _("organisation"),
        _("department"),
        _("unit"),
        _("contact method"),
        _("contacts"),
    ]
    rows = []
    for entry in report.entries:
        for row in entry.targets:
            t = row.target
            rows.append(
                [
                    str(report.half_year),
                    entry.topic.name if entry.topic else _("(no topic)"),
                    entry.subject,
                    entry.government_project,
                    _("person") if t.is_person else _("organisation"),
                    t.person,
                    t.role,
                    t.organisation,
                    t.department,
                    t.unit,
                    row.method_label,
                    row.contacts,
                ]
            )
    return write_csv(header, rows)


def contact_ids_of(report: TransparencyReport, user: User) -> list[int]:
    """The people named in the roll-up, for the access log of its export."""
    start, end = report.half_year.start, report.half_year.end
    return sorted(
        set(
            _meetings(user, start, end)
            .filter(contacts__register_role__in=NAMED_REGISTER_ROLES)
            .values_list("contacts__pk", flat=True)
        )
    )


# --- Reminders before the disclosure windows -------------------------------------------------

REMINDER_HOUR = 9


def disclosure_reminder_times(half_year: HalfYear) -> list[tuple[str, datetime.datetime]]:
    """(key, due_at): a week before the window opens, and two weeks before it closes."""
    zone = ZoneInfo(settings.TIME_ZONE)
    opens, closes = half_year.disclosure_window
    at = datetime.time(REMINDER_HOUR)
    return [
        (
            f"{half_year}:opens",
            datetime.datetime.combine(opens - datetime.timedelta(days=7), at, tzinfo=zone),
        ),
        (
            f"{half_year}:closes",
            datetime.datetime.combine(closes - datetime.timedelta(days=14), at, tzinfo=zone),
        ),
    ]

"""The advocacy report of a period: what the municipalities did, with whom, and what came of it.

Every figure is computed from `Meeting.objects.visible_to(user)` and
`FollowUp.objects.visible_to(user)`: two readers may get different reports, and neither ever
counts a meeting they may not see.

Filters and what they apply to:
- period (dates inclusive, Helsinki time): meetings held, goal status changes recorded and
  follow-ups due within it;
- municipality: meetings logged in it, follow-ups assigned to its users, goals it has a
  position on;
- topic / goal: meetings about it, follow-ups of those meetings or of the goal(s), the goal(s);
- organisation kind: meetings with an organisation of that kind, follow-ups of those meetings,
  and the decision-makers of such organisations.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Contact, Municipality, User

from .exports import Sheet, write_csv, write_xlsx
from .models import (
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalStatus,
    Meeting,
    MeetingContact,
    Topic,
)


@dataclass(frozen=True)
class ReportFilters:
    start: datetime.date
    end: datetime.date  # inclusive
    municipality: Municipality | None = None
    topic: Topic | None = None
    goal: Goal | None = None
    organisation_kind: str = ""

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as [start, end) in aware datetimes, by the Helsinki calendar."""
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return start, end

    def describe(self) -> str:
        """A label without personal data, for file names and the access log."""
        parts = [f"{self.start.isoformat()}–{self.end.isoformat()}"]
        if self.municipality:
            parts.append(f"municipality {self.municipality.pk}")
        if self.topic:
            parts.append(f"topic {self.topic.pk}")
        if self.goal:
            parts.append(f"goal {self.goal.pk}")
        if self.organisation_kind:
            parts.append(f"kind {self.organisation_kind}")
        return ", ".join(parts)


def report_meetings(user: User, filters: ReportFilters) -> QuerySet[Meeting]:
    """The visible meetings the report counts."""
    start, end = filters.bounds()
    meetings = Meeting.objects.visible_to(user).filter(occurred_at__gte=start, occurred_at__lt=end)
    if filters.municipality:
        meetings = meetings.filter(municipality=filters.municipality)
    if filters.topic:
        meetings = meetings.filter(
            Exists(
                Meeting.topics.through.objects.filter(
                    meeting_id=OuterRef("pk"), topic=filters.topic
                )
            )
        )
    if filters.goal:
        meetings = meetings.filter(
            Exists(
                Meeting.goals.through.objects.filter(meeting_id=OuterRef("pk"), goal=filters.goal)
            )
        )
    if filters.organisation_kind:
        meetings = meetings.filter(
            Exists(
                Meeting.organisations.through.objects.filter(
                    meeting_id=OuterRef("pk"), organisation__kind=filters.organisation_kind
                )
            )
        )
    return meetings


def report_follow_ups(user: User, filters: ReportFilters) -> QuerySet[FollowUp]:
    follow_ups = FollowUp.objects.visible_to(user).filter(
        due_date__gte=filters.start, due_date__lte=filters.end
    )
    if filters.municipality:
        follow_ups = follow_ups.filter(assignee__municipality=filters.municipality)
    through = Meeting.topics.through.objects
    if filters.topic:
        follow_ups = follow_ups.filter(
            Q(goal__topic=filters.topic)
            | Exists(through.filter(meeting_id=OuterRef("meeting_id"), topic=filters.topic))
        )
    if filters.goal:
        follow_ups = follow_ups.filter(
            Q(goal=filters.goal)
            | Exists(
                Meeting.goals.through.objects.filter(
                    meeting_id=OuterRef("meeting_id"), goal=filters.goal
                )
            )
        )
    if filters.organisation_kind:
        follow_ups = follow_ups.filter(
            Exists(
                Meeting.organisations.through.objects.filter(
                    meeting_id=OuterRef("meeting_id"), organisation__kind=filters.organisation_kind
                )
            )
        )
    return follow_ups


def report_goals(filters: ReportFilters) -> QuerySet[Goal]:
    goals = Goal.objects.all()
    if filters.topic:
        goals = goals.filter(topic=filters.topic)
    if filters.goal:
        goals = goals.filter(pk=filters.goal.pk)
    if filters.municipality:
        goals = goals.filter(
            Exists(
                GoalEndorsement.objects.filter(
                    goal_id=OuterRef("pk"), municipality=filters.municipality
                )
            )
        )
    return goals


@dataclass
class DecisionMakerRow:
    contact: Contact
    meetings: int = 0
    last_met: datetime.datetime | None = None


@dataclass
class GoalStatusChange:
    at: datetime.datetime
    old: str  # status value, "" when the goal was created
    new: str

    @property
    def old_label(self) -> str:
        return str(GoalStatus(self.old).label) if self.old else _("(new)")

    @property
    def new_label(self) -> str:
        return str(GoalStatus(self.new).label)


@dataclass
class GoalRow:
    goal: Goal
    status_at_end: str
    changes: list[GoalStatusChange] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(GoalStatus(self.status_at_end).label)


FOLLOW_UP_BUCKETS = {
    "done": gettext_lazy("done"),
    "open": gettext_lazy("open"),
    "overdue": gettext_lazy("overdue"),
    "cancelled": gettext_lazy("cancelled"),
}


@dataclass
class AdvocacyReport:
    filters: ReportFilters
    meeting_count: int
    by_topic: list[tuple[str, int]]
    by_municipality: list[tuple[str, int]]
    months: list[datetime.date]
    per_month: dict[str, list[int]]  # municipality name → count per month
    decision_makers_met: list[DecisionMakerRow]
    decision_makers_not_met: list[DecisionMakerRow]
    goals_changed: list[GoalRow]
    goal_status_counts: list[tuple[str, str, int]]  # (status, label, count)
    follow_ups: dict[str, int]
    overdue_follow_ups: list[FollowUp]

    @property
    def contact_ids(self) -> list[int]:
        """The people this report names (for the access log of an export)."""
        rows = self.decision_makers_met + self.decision_makers_not_met
        return sorted({r.contact.pk for r in rows})


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _goal_rows(filters: ReportFilters) -> list[GoalRow]:
    """Status of each goal at the end of the period and its status changes within it, from
    the history table (so changes made anywhere, even in the admin, are counted)."""
    start, end = filters.bounds()
    goal_events = apps.get_model("advocacy", "GoalEvent")
    goals = {g.pk: g for g in report_goals(filters).select_related("topic")}
    events = (
        goal_events.objects.filter(pgh_obj_id__in=list(goals), pgh_created_at__lt=end)
        .order_by("pgh_obj_id", "pgh_id")
        .values_list("pgh_obj_id", "pgh_label", "pgh_created_at", "status")
    )
    rows: dict[int, GoalRow] = {}
    last_status: dict[int, str] = {}
    for goal_id, label, at, status in events:
        previous = last_status.get(goal_id, "")
        row = rows.setdefault(goal_id, GoalRow(goal=goals[goal_id], status_at_end=status))
        if label == "delete":
            rows.pop(goal_id, None)
            last_status.pop(goal_id, None)
            continue
        if at >= start and status != previous:
            row.changes.append(GoalStatusChange(at=at, old=previous, new=status))
        row.status_at_end = status
        last_status[goal_id] = status
    return sorted(rows.values(), key=lambda r: (r.goal.topic.name, r.goal.title))


def build_report(
    *, user: User, filters: ReportFilters, today: datetime.date | None = None
) -> AdvocacyReport:
    today = today or timezone.localdate()
    zone = ZoneInfo(settings.TIME_ZONE)
    meetings = report_meetings(user, filters)
    meeting_ids = meetings.values("pk")
    no_value = _("(none)")

    meeting_count = meetings.count()
    topic_counts = (
        Meeting.topics.through.objects.filter(meeting_id__in=meeting_ids)
        .values("topic__name")
        .annotate(n=Count("meeting_id", distinct=True))
        .order_by("-n", "topic__name")
    )
    by_topic = [(r["topic__name"], r["n"]) for r in topic_counts]
    without_topic = meetings.exclude(
        Exists(Meeting.topics.through.objects.filter(meeting_id=OuterRef("pk")))
    ).count()
    if without_topic:
        by_topic.append((_("(no topic)"), without_topic))

    monthly = (
        meetings.annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values("month", "municipality__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    months = _months(filters.start, filters.end)
    month_index = {m: i for i, m in enumerate(months)}
    per_month: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    municipality_totals: dict[str, int] = defaultdict(int)
    for r in monthly:
        name = r["municipality__name"] or no_value
        per_month[name][month_index[r["month"].date()]] += r["n"]
        municipality_totals[name] += r["n"]
    by_municipality = sorted(municipality_totals.items(), key=lambda kv: (-kv[1], kv[0]))

    met = (
        MeetingContact.objects.filter(meeting_id__in=meeting_ids, contact__is_decision_maker=True)
        .values("contact_id")
        .annotate(n=Count("meeting_id", distinct=True), last=Max("meeting__occurred_at"))
    )
    met_stats = {r["contact_id"]: (r["n"], r["last"]) for r in met}
    decision_makers = Contact.objects.filter(
        is_decision_maker=True, anonymised_at__isnull=True
    ).select_related("organisation")
    if filters.organisation_kind:
        decision_makers = decision_makers.filter(organisation__kind=filters.organisation_kind)
    met_rows = [
        DecisionMakerRow(contact=c, meetings=met_stats[c.pk][0], last_met=met_stats[c.pk][1])
        for c in Contact.objects.filter(pk__in=list(met_stats)).select_related("organisation")
    ]
    met_rows.sort(key=lambda r: (-r.meetings, r.contact.last_name, r.contact.first_name))
    # "Not met" is about this report's meetings; last_met is the latest meeting with them that
    # the reader may see at any time (the stored last_interaction_at counts every meeting, so
    # it would reveal the date of a restricted one).
    not_met = list(decision_makers.filter(archived_at__isnull=True).exclude(pk__in=list(met_stats)))
    last_seen = dict(
        MeetingContact.objects.filter(
            contact_id__in=[c.pk for c in not_met],
            meeting_id__in=Meeting.objects.visible_to(user).values("pk"),
        )
        .values("contact_id")
        .annotate(last=Max("meeting__occurred_at"))
        .values_list("contact_id", "last")
    )
    not_met_rows = [DecisionMakerRow(contact=c, last_met=last_seen.get(c.pk)) for c in not_met]

    goal_rows = _goal_rows(filters)
    status_counts = defaultdict(int)
    for row in goal_rows:
        status_counts[row.status_at_end] += 1
    goal_status_counts = [
        (value, str(label), status_counts.get(value, 0)) for value, label in GoalStatus.choices
    ]

    follow_ups = report_follow_ups(user, filters)
    buckets = follow_ups.aggregate(
        done=Count("pk", filter=Q(status=FollowUpStatus.DONE)),
        cancelled=Count("pk", filter=Q(status=FollowUpStatus.CANCELLED)),
        open=Count("pk", filter=Q(status=FollowUpStatus.OPEN, due_date__gte=today)),
        overdue=Count("pk", filter=Q(status=FollowUpStatus.OPEN, due_date__lt=today)),
    )
    overdue = list(
        follow_ups.filter(status=FollowUpStatus.OPEN, due_date__lt=today)
        .select_related("assignee", "meeting", "goal")
        .order_by("due_date", "id")
    )
    return AdvocacyReport(
        filters=filters,
        meeting_count=meeting_count,
        by_topic=by_topic,
        by_municipality=by_municipality,
        months=months,
        per_month=dict(sorted(per_month.items())),
        decision_makers_met=met_rows,
        decision_makers_not_met=not_met_rows,
        goals_changed=[r for r in goal_rows if r.changes],
        goal_status_counts=goal_status_counts,
        follow_ups={k: buckets[k] for k in FOLLOW_UP_BUCKETS},
        overdue_follow_ups=overdue,
    )


# --- Files -----------------------------------------------------------------------------------


def _organisation(contact: Contact) -> str:
    return contact.organisation.name if contact.organisation_id else ""


def report_sheets(report: AdvocacyReport) -> list[Sheet]:
    """The report as tables: one per section (XLSX sheets; CSV joins them in long form)."""
    return [
        Sheet(
            _("Summary"),
            [_("item"), _("value")],
            [
                (_("period"), report.filters.describe()),
                (_("meetings"), report.meeting_count),
                *[
                    (str(FOLLOW_UP_BUCKETS[k]) + " " + _("follow-ups"), v)
                    for k, v in report.follow_ups.items()
                ],
            ],
        ),
        Sheet(_("By topic"), [_("topic"), _("meetings")], report.by_topic),
        Sheet(_("By municipality"), [_("municipality"), _("meetings")], report.by_municipality),
        Sheet(
            _("Per month"),
            [_("month"), *report.per_month.keys()],
            [
                (m.strftime("%Y-%m"), *[counts[i] for counts in report.per_month.values()])
                for i, m in enumerate(report.months)
            ],
        ),
        Sheet(
            _("Decision-makers met"),
            [_("name"), _("organisation"), _("meetings"), _("last met")],
            [
                (r.contact.full_name, _organisation(r.contact), r.meetings, r.last_met)
                for r in report.decision_makers_met
            ],
        ),
        Sheet(
            _("Not met"),
            [_("name"), _("organisation"), _("last met")],
            [
                (r.contact.full_name, _organisation(r.contact), r.last_met)
                for r in report.decision_makers_not_met
            ],
        ),
        Sheet(
            _("Goal changes"),
            [_("topic"), _("goal"), _("when"), _("from"), _("to")],
            [
                (row.goal.topic.name, row.goal.title, c.at, c.old_label, c.new_label)
                for row in report.goals_changed
                for c in row.changes
            ],
        ),
        Sheet(
            _("Goal status"),
            [_("status"), _("goals")],
            [(label, n) for _value, label, n in report.goal_status_counts],
        ),
        Sheet(
            _("Overdue follow-ups"),
            [_("due"), _("follow-up"), _("assignee"), _("meeting")],
            [
                (
                    f.due_date,
                    f.description,
                    str(f.assignee),
                    f.meeting.title if f.meeting_id else "",
                )
                for f in report.overdue_follow_ups
            ],
        ),
    ]


def report_csv(report: AdvocacyReport) -> bytes:
    """One table in long form: section; item; detail; value."""
    rows = []
    for sheet in report_sheets(report):
        for row in sheet.rows:
            row = list(row)
            if sheet.title == _("Per month"):
                for name, value in zip(sheet.header[1:], row[1:], strict=True):
                    rows.append((sheet.title, row[0], name, value))
            elif len(row) == 2:
                rows.append((sheet.title, row[0], "", row[1]))
            else:
                rows.append((sheet.title, row[0], " | ".join(_text(v) for v in row[1:-1]), row[-1]))
    return write_csv([_("section"), _("item"), _("detail"), _("value")], rows)


def _text(value) -> str:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def report_xlsx(report: AdvocacyReport) -> bytes:
    return write_xlsx(report_sheets(report))

"""Planning reminders: which ones should exist, for whom, on which channels, and when.

Reminders are rows (`advocacy.Reminder`); this module decides the rows, `advocacy.delivery`
sends them. Every planner is idempotent: it computes the wanted plans, creates the rows that are
missing, moves the pending ones whose time changed and cancels the pending ones nobody wants any
more. Rows already sent (or being sent) are never touched, so running a planner twice, or two
planners at once, plans each reminder once (the unique plan constraint settles races).

Times: "09:00 on the day before" is a wall-clock time in Europe/Helsinki, converted to UTC with
zoneinfo for the very day, so it stays 09:00 across the changes to and from summer time.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import Contact, Role, User

from .models import (
    Channel,
    FollowUp,
    FollowUpStatus,
    NotificationPreference,
    Reminder,
    ReminderKind,
    ReminderState,
)
from .transparency import HalfYear, disclosure_reminder_times

logger = logging.getLogger(__name__)

FOLLOW_UP_KINDS = (
    ReminderKind.FOLLOW_UP_DUE,
    ReminderKind.FOLLOW_UP_OVERDUE,
    ReminderKind.ESCALATION,
)
# Who gets a weekly digest: the people who log meetings and own follow-ups.
DIGEST_ROLES = (Role.TRUSTEE, Role.STAFF, Role.COORDINATOR)


# --- Time ------------------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_clock(value: str) -> datetime.time:
    """A setting such as "09:00" as a time of day."""
    return datetime.time.fromisoformat(value)


def at_local_time(day: datetime.date, clock: datetime.time) -> datetime.datetime:
    """`clock` o'clock on `day` in the local zone (Europe/Helsinki), as an aware UTC datetime.

    A wall time that does not exist on that day (03:00-04:00 when summer time begins) is read
    with the offset in force before the change, so 03:30 becomes 04:30 summer time; a wall time
    that happens twice (03:00-04:00 when summer time ends) is its first occurrence.
    """
    local = datetime.datetime.combine(day, clock, tzinfo=local_zone())
    return local.astimezone(datetime.UTC)


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(local_zone()).date()


def next_local_time(now: datetime.datetime, clock: datetime.time) -> datetime.datetime:
    """The first `clock` o'clock (local) at or after `now`."""
    day = local_date(now)
    moment = at_local_time(day, clock)
    if moment < now:
        moment = at_local_time(day + datetime.timedelta(days=1), clock)
    return moment


def next_weekday_time(
    now: datetime.datetime, weekday: int, clock: datetime.time
) -> datetime.datetime:
    """The first `clock` o'clock (local) on `weekday` (0 = Monday) at or after `now`."""
    today = local_date(now)
    day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
    moment = at_local_time(day, clock)
    if moment < now:
        moment = at_local_time(day + datetime.timedelta(days=7), clock)
    return moment


def week_key(moment: datetime.datetime) -> str:
    year, week, _ = local_date(moment).isocalendar()
    return f"week:{year}-W{week:02d}"


# --- Plans and how they become rows ----------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One wanted reminder, before channels: what, for whom, on which occasion, when."""

    kind: str
    recipient: User
    key: str
    due_at: datetime.datetime
    follow_up: FollowUp | None = None
    contact: Contact | None = None


class Preferences:
    """Notification preferences of many users, read in one query."""

    def __init__(self, users: Iterable[User]):
        found = NotificationPreference.objects.filter(user__in=[u.pk for u in users])
        self._by_user = {p.user_id: p for p in found}

    @classmethod
    def held_by(cls, users: Iterable[User]) -> Preferences:
        """The preferences of users read with select_related("notification_preference")."""
        preferences = cls.__new__(cls)
        preferences._by_user = {}
        for user in users:
            try:
                preferences._by_user[user.pk] = user.notification_preference
            except NotificationPreference.DoesNotExist:
                pass  # the defaults
        return preferences

    def of(self, user: User) -> NotificationPreference:
        return self._by_user.get(user.pk) or NotificationPreference(user=user)

    def channels(self, user: User, kind: str) -> list[str]:
        if not user.is_active:
            return []
        wanted = self.of(user).channels_for(kind)
        if not user.email:
            wanted = [c for c in wanted if c != Channel.EMAIL]
        return wanted


def _identity(kind, recipient_id, channel, follow_up_id, contact_id, key) -> tuple:
    return (kind, recipient_id, channel, follow_up_id, contact_id, key)


@transaction.atomic
def _apply(
    plans: Iterable[Plan], *, scope: QuerySet, now: datetime.datetime, replace_due: bool
) -> int:
    """Make the reminder rows in `scope` match `plans` (one row per plan and wanted channel).

    Missing rows are created, pending rows get their new time, cancelled rows of a wanted plan
    come back, and pending rows in `scope` that no plan wants are cancelled — those already due
    too when `replace_due` (a re-dated follow-up), else only future ones (the sweep owns what is
    due). Rows being sent, sent or failed are left alone. Returns how many rows were created or
    changed.
    """
    wanted = _rows(plans)

    # Pending rows (to keep, move or cancel) and any row of a wanted occasion (not to plan it
    # twice); the lock keeps the sweep from claiming a row while we change it.
    keys = {row.key for row in wanted.values()}
    current = scope.filter(Q(state=ReminderState.PENDING) | Q(key__in=keys))
    locked = current.select_for_update(of=("self",)).order_by("pk")  # the deliverers' order
    existing = {_row_identity(r): r for r in locked}
    changed = 0
    for identity, row in existing.items():
        if identity in wanted or row.state != ReminderState.PENDING:
            continue
        if replace_due or row.due_at > now:
            row.state = ReminderState.CANCELLED
            row.save(update_fields=["state"])
            changed += 1

    missing = []
    for identity, row in wanted.items():
        found = existing.get(identity)
        if found is None:
            missing.append(row)
        elif found.state == ReminderState.PENDING and found.due_at != row.due_at:
            found.due_at = row.due_at
            found.save(update_fields=["due_at"])
            changed += 1
        elif found.state == ReminderState.CANCELLED:
            found.state = ReminderState.PENDING
            found.due_at = row.due_at
            found.attempts = 0
            found.next_attempt_at = None
            found.last_error = ""
            found.save(
                update_fields=["state", "due_at", "attempts", "next_attempt_at", "last_error"]
            )
            changed += 1
    # Another planner may have made the same rows since we looked: the unique plan constraint
    # keeps one of each.
    Reminder.objects.bulk_create(missing, ignore_conflicts=True)
    return changed + len(missing)


def _rows(plans: Iterable[Plan], preferences: Preferences | None = None) -> dict[tuple, Reminder]:
    """The unsaved rows the plans want (one per wanted channel), by identity."""
    plans = list(plans)
    if not plans:
        return {}
    preferences = preferences or Preferences({p.recipient for p in plans})
    wanted: dict[tuple, Reminder] = {}
    for plan in plans:
        for channel in preferences.channels(plan.recipient, plan.kind):
            row = Reminder(
                kind=plan.kind,
                recipient=plan.recipient,
                channel=channel,
                due_at=plan.due_at,
                follow_up=plan.follow_up,
                contact=plan.contact,
                key=plan.key,
            )
            wanted[_row_identity(row)] = row
    return wanted


def _row_identity(row: Reminder) -> tuple:
    return _identity(
        row.kind, row.recipient_id, row.channel, row.follow_up_id, row.contact_id, row.key
    )


# --- Follow-ups ------------------------------------------------------------------------------


def active_coordinators() -> QuerySet[User]:
    return User.objects.filter(role=Role.COORDINATOR, is_active=True)


def follow_up_plans(
    follow_up: FollowUp,
    *,
    now: datetime.datetime,
    coordinators: Iterable[User] | None = None,
) -> list[Plan]:
    """The reminders an open follow-up should have from `now` on.

    To the assignee: REMINDER_LEAD_DAYS days before the due date (default the day before and
    the due day) and once when it is overdue; to the coordinators (but not the assignee) when it
    has been overdue for REMINDER_ESCALATION_AFTER_DAYS. Each key carries the due date, so a
    re-dated follow-up is reminded of again. Times already past are not planned: a reminder
    that comes after its occasion is noise. `coordinators`: the active coordinators, when the
    caller has read them already (planning many follow-ups at once).
    """
    if follow_up.status != FollowUpStatus.OPEN:
        return []
    clock = parse_clock(settings.REMINDER_LOCAL_TIME)
    due = follow_up.due_date
    assignee = follow_up.assignee
    plans = [
        Plan(
            kind=ReminderKind.FOLLOW_UP_DUE,
            recipient=assignee,
            key=f"due-{lead}d:{due.isoformat()}",
            due_at=at_local_time(due - datetime.timedelta(days=lead), clock),
            follow_up=follow_up,
        )
        for lead in sorted(set(settings.REMINDER_LEAD_DAYS), reverse=True)
    ]
    plans.append(
        Plan(
            kind=ReminderKind.FOLLOW_UP_OVERDUE,
            recipient=assignee,
            key=f"overdue:{due.isoformat()}",
            due_at=at_local_time(
                due + datetime.timedelta(days=settings.REMINDER_OVERDUE_AFTER_DAYS), clock
            ),
            follow_up=follow_up,
        )
    )
    escalate_at = at_local_time(
        due + datetime.timedelta(days=settings.REMINDER_ESCALATION_AFTER_DAYS), clock
    )
    plans.extend(
        Plan(
            kind=ReminderKind.ESCALATION,
            recipient=coordinator,
            key=f"escalation:{due.isoformat()}",
            due_at=escalate_at,
            follow_up=follow_up,
        )
        for coordinator in (active_coordinators() if coordinators is None else coordinators)
        if coordinator.pk != follow_up.assignee_id
    )
    return [plan for plan in plans if plan.due_at > now]


def plan_follow_up_reminders(follow_up: FollowUp, *, now: datetime.datetime | None = None) -> int:
    """Create or update the follow-up's reminders (after it was created, re-dated, reassigned).

    Must run inside the transaction that changed the follow-up.
    """
    now = now or timezone.now()
    return _apply(
        follow_up_plans(follow_up, now=now),
        scope=Reminder.objects.filter(follow_up=follow_up, kind__in=FOLLOW_UP_KINDS),
        now=now,
        replace_due=True,
    )


def plan_new_follow_ups_reminders(
    follow_ups: Iterable[FollowUp], *, now: datetime.datetime | None = None
) -> int:
    """The reminders of follow-ups created in this transaction, all in one go.

    The same rows as `plan_follow_up_reminders` for each, in two queries: the coordinators and
    every recipient's preferences in one, the rows in one insert. Follow-ups this new have no
    rows yet, so there is nothing to look up, move or cancel. Returns how many rows were created.
    """
    follow_ups = list(follow_ups)
    if not follow_ups:
        return 0
    now = now or timezone.now()
    recipients = list(
        User.objects.filter(
            Q(pk__in=active_coordinators().values("pk"))
            | Q(pk__in={f.assignee_id for f in follow_ups})
        ).select_related("notification_preference")
    )
    coordinators = [u for u in recipients if u.role == Role.COORDINATOR and u.is_active]
    plans = [
        plan
        for follow_up in follow_ups
        for plan in follow_up_plans(follow_up, now=now, coordinators=coordinators)
    ]
    rows = list(_rows(plans, Preferences.held_by(recipients)).values())
    # A sweep cannot see these follow-ups before we commit; the unique plan constraint would
    # still keep one row of each if it did.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def cancel_pending(reminders: QuerySet[Reminder]) -> int:
    """Cancel the pending ones of `reminders` (rows being sent or sent stay as they are)."""
    return reminders.filter(state=ReminderState.PENDING).update(state=ReminderState.CANCELLED)


def cancel_follow_up_reminders(follow_up: FollowUp) -> int:
    """Nothing more to remind anyone of: the follow-up is done or cancelled."""
    return cancel_pending(follow_up.reminders.all())


# --- Weekly digest ---------------------------------------------------------------------------


def digest_recipients() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=DIGEST_ROLES)


def plan_weekly_digests(*, now: datetime.datetime | None = None) -> int:
    """Plan each user's next weekly digest, on their chosen weekday at REMINDER_DIGEST_LOCAL_TIME.

    Its content is gathered when it is sent.
    """
    now = now or timezone.now()
    users = list(digest_recipients())
    return _apply(
        _weekly_plans(users, ReminderKind.WEEKLY_DIGEST, now=now),
        scope=Reminder.objects.filter(kind=ReminderKind.WEEKLY_DIGEST, recipient__in=users),
        now=now,
        replace_due=False,
    )


def _weekly_plans(users: list[User], kind: str, *, now: datetime.datetime) -> list[Plan]:
    """A plan of `kind` for each user on their digest day (the key names the week)."""
    preferences = Preferences(users)
    clock = parse_clock(settings.REMINDER_DIGEST_LOCAL_TIME)
    plans = []
    for user in users:
        due_at = next_weekday_time(now, preferences.of(user).digest_weekday, clock)
        plans.append(Plan(kind=kind, recipient=user, key=week_key(due_at), due_at=due_at))
    return plans


# --- Decision-makers not met lately ----------------------------------------------------------


def stale_decision_makers(now: datetime.datetime | None = None) -> QuerySet[Contact]:
    """Active decision-makers whom nobody has met within their period.

    The period is the contact's own `stale_after_days`, else REMINDER_STALE_DAYS of their
    influence level. The clock runs from the latest meeting with them (`last_interaction_at`,
    any meeting by anyone), or from when the contact was added if they were never met.
    Annotated with `stale_since` (the start of the clock) and `stale_days` (the period).
    """
    now = now or timezone.now()
    by_level = settings.REMINDER_STALE_DAYS
    period = Coalesce(
        F("stale_after_days"),
        Case(
            *[When(influence_level=level, then=Value(days)) for level, days in by_level.items()],
            default=Value(max(by_level.values())),
            output_field=IntegerField(),
        ),
        output_field=IntegerField(),
    )
    return (
        Contact.objects.active()
        .decision_makers()
        .annotate(
            stale_days=period,
            stale_since=Coalesce(
                F("last_interaction_at"), F("created_at"), output_field=DateTimeField()
            ),
        )
        .filter(stale_since__lt=Value(now) - F("stale_days") * Value(datetime.timedelta(days=1)))
    )


def plan_stale_contact_alerts(*, now: datetime.datetime | None = None) -> int:
    """Alert each relationship owner of a decision-maker not met lately, once per such period,
    and plan the coordinators' weekly summary while there are any.

    Logging a meeting with the person resets the clock (and cancels pending alerts, see
    `cancel_stale_contact_alerts`); if they again go unmet for their period, the owners hear
    of it again (the key carries the date the clock started from).
    """
    now = now or timezone.now()
    due_at = next_local_time(now, parse_clock(settings.REMINDER_LOCAL_TIME))
    stale = list(stale_decision_makers(now).prefetch_related("relationship_owners"))
    plans = [
        Plan(
            kind=ReminderKind.STALE_CONTACT,
            recipient=owner,
            key=f"since:{local_date(contact.stale_since).isoformat()}",
            due_at=due_at,
            contact=contact,
        )
        for contact in stale
        for owner in contact.relationship_owners.all()
    ]
    changed = _apply(
        plans,
        scope=Reminder.objects.filter(kind=ReminderKind.STALE_CONTACT),
        now=now,
        replace_due=False,
    )
    # The coordinators' summary goes out on their digest day, at most once a week.
    coordinators = list(active_coordinators())
    summaries = _weekly_plans(coordinators, ReminderKind.STALE_SUMMARY, now=now) if stale else []
    changed += _apply(
        summaries,
        scope=Reminder.objects.filter(kind=ReminderKind.STALE_SUMMARY),
        now=now,
        replace_due=False,
    )
    return changed


def cancel_stale_contact_alerts(contact_ids) -> int:
    """Someone met these contacts: their pending "not met lately" alerts are void."""
    return cancel_pending(
        Reminder.objects.filter(kind=ReminderKind.STALE_CONTACT, contact_id__in=contact_ids)
    )


# --- Transparency register disclosures -------------------------------------------------------


def plan_transparency_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind the coordinators before the transparency register's disclosure windows: a week
    before a window opens and two weeks before it closes (advocacy/transparency.py). Only the
    occasions still ahead are planned: those of the previous half-year, whose window may be
    open now, and of the current one."""
    now = now or timezone.now()
    current = HalfYear.of(local_date(now))
    coordinators = list(active_coordinators())
    plans = [
        Plan(
            kind=ReminderKind.TRANSPARENCY_DISCLOSURE,
            recipient=user,
            key=key,
            due_at=due_at,
        )
        for half_year in (current.previous, current)
        for key, due_at in disclosure_reminder_times(half_year)
        if due_at > now
        for user in coordinators
    ]
    return _apply(
        plans,
        scope=Reminder.objects.filter(
            kind=ReminderKind.TRANSPARENCY_DISCLOSURE, recipient__in=coordinators
        ),
        now=now,
        replace_due=False,
    )


def plan_periodic_reminders(*, now: datetime.datetime | None = None) -> int:
    """The planners that run on a timer (hourly): weekly digests, stale-contact alerts and the
    transparency register's disclosure reminders."""
    now = now or timezone.now()
    changed = (
        plan_weekly_digests(now=now)
        + plan_stale_contact_alerts(now=now)
        + plan_transparency_reminders(now=now)
    )
    logger.info("Reminder planning: %d reminders created or changed", changed)
    return changed


def wanted_kinds_changed(user: User, *, now: datetime.datetime | None = None) -> int:
    """Bring a user's pending reminders in line with new notification preferences.

    Pending rows of kinds or channels no longer wanted are cancelled; newly wanted ones are
    planned for the user's open follow-ups now, and for the digest and alerts by the next
    periodic planning.
    """
    now = now or timezone.now()
    preference = NotificationPreference.objects.for_user(user)
    unwanted = Q(channel=Channel.EMAIL) & ~Q(kind__in=preference.email_kinds)
    unwanted |= Q(channel=Channel.IN_APP) & ~Q(kind__in=preference.in_app_kinds)
    changed = cancel_pending(Reminder.objects.filter(unwanted, recipient=user))
    # A coordinator may be told of anyone's overdue follow-up.
    open_follow_ups = FollowUp.objects.open()
    if user.role != Role.COORDINATOR:
        open_follow_ups = open_follow_ups.filter(assignee=user)
    for follow_up in open_follow_ups.select_related("assignee"):
        changed += plan_follow_up_reminders(follow_up, now=now)
    digest = [user] if user.role in DIGEST_ROLES and user.is_active else []
    changed += _apply(
        _weekly_plans(digest, ReminderKind.WEEKLY_DIGEST, now=now),
        scope=Reminder.objects.filter(kind=ReminderKind.WEEKLY_DIGEST, recipient=user),
        now=now,
        replace_due=False,
    )
    return changed

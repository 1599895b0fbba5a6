"""Sending reminders: the sweep that claims due rows and delivers each exactly once.

The life of a reminder row: `pending` → (claimed) `sending` → `sent`, or back to `pending` with a
later `next_attempt_at` after a failure, `failed` after REMINDER_MAX_ATTEMPTS, `cancelled` when
there is nothing to say any more.

- Claim: `select_for_update(skip_locked=True)` picks a small batch of due rows that no one else
  holds, and a compare-and-set moves them `pending → sending` (counting the attempt). Any number
  of sweeps may run at once; they never claim the same row.
- Deliver: a transaction per batch locks the rows still `sending`, and for each writes its
  message (a Notification row, or an OutboxEmail row for the relay) and marks it `sent`. Both
  or neither: a crash before the commit leaves no message and the rows `sending`; after it, they
  are `sent`. The one-to-one from message to reminder makes a second message impossible.
- Recover: rows left `sending` longer than REMINDER_SENDING_TIMEOUT (a worker was killed, the
  broker lost the delivery task) go back to `pending` and are claimed again.

With Celery the sweep fans the claimed batches out to `deliver_reminders` tasks; without it the
sweep delivers them itself. E-mail leaves the outbox through `advocacy.mail.relay_outbox`.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from crm.models import User

from .messages import Message, compose
from .models import Channel, Notification, OutboxEmail, Reminder, ReminderState

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = datetime.timedelta(hours=1)
LOCK_TIMEOUT = "10s"
ERROR_LENGTH = 2000
# Long texts of the rows joined to a reminder that no message shows (advocacy/messages.py and
# templates/advocacy/email/): not read for every reminder of a batch.
UNUSED_IN_MESSAGES = (
    "follow_up__completion_note",
    "follow_up__meeting__notes",
    "follow_up__meeting__outcomes",
    "follow_up__goal__description",
)


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no longer `sending`: delivered, cancelled or recovered meanwhile
    recovered: int = 0

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in self.as_dict().items())


# --- Claiming and recovery -------------------------------------------------------------------


def due(now: datetime.datetime):
    """Pending reminders whose time has come (and whose retry delay, if any, has passed)."""
    return Reminder.objects.filter(state=ReminderState.PENDING, due_at__lte=now).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


@transaction.atomic
def claim_due(*, limit: int, now: datetime.datetime | None = None) -> list[int]:
    """Claim up to `limit` due reminders for this caller: `pending → sending`, one attempt more.

    Rows locked by a concurrent claim are skipped, not waited for.
    """
    now = now or timezone.now()
    ids = list(
        due(now)
        .order_by("due_at", "id")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    # Compare-and-set, although the lock already keeps others off these rows.
    Reminder.objects.filter(pk__in=ids, state=ReminderState.PENDING).update(
        state=ReminderState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return ids


@transaction.atomic
def release(reminder_ids: Iterable[int]) -> int:
    """Hand claimed rows back untouched (their delivery could not even be queued)."""
    return Reminder.objects.filter(pk__in=list(reminder_ids), state=ReminderState.SENDING).update(
        state=ReminderState.PENDING, attempts=F("attempts") - 1, claimed_at=None
    )


@transaction.atomic
def recover_stuck(*, now: datetime.datetime | None = None) -> int:
    """Rows left `sending` longer than REMINDER_SENDING_TIMEOUT: their delivery was lost (a
    killed worker, a flushed broker). Back to `pending`, or `failed` when out of attempts.

    A row still being delivered is locked by its deliverer and skipped.
    """
    now = now or timezone.now()
    timeout = datetime.timedelta(seconds=settings.REMINDER_SENDING_TIMEOUT)
    stuck = list(
        Reminder.objects.filter(state=ReminderState.SENDING, claimed_at__lt=now - timeout)
        .select_for_update(skip_locked=True)
        .values_list("pk", "attempts")
    )
    if not stuck:
        return 0
    error = gettext("Delivery did not finish within %(seconds)d s; retried.") % {
        "seconds": settings.REMINDER_SENDING_TIMEOUT
    }
    out_of_attempts = [pk for pk, attempts in stuck if attempts >= settings.REMINDER_MAX_ATTEMPTS]
    Reminder.objects.filter(pk__in=out_of_attempts, state=ReminderState.SENDING).update(
        state=ReminderState.FAILED, last_error=error
    )
    recovered = Reminder.objects.filter(
        pk__in=[pk for pk, _ in stuck if pk not in set(out_of_attempts)],
        state=ReminderState.SENDING,
    ).update(state=ReminderState.PENDING, next_attempt_at=None, last_error=error)
    logger.warning(
        "Reminders stuck in sending: %d back to pending, %d failed",
        recovered,
        len(out_of_attempts),
    )
    return len(stuck)


# --- Delivery --------------------------------------------------------------------------------


def deliver(reminder_ids: Iterable[int]) -> DeliveryReport:
    """Deliver claimed reminders, REMINDER_BATCH_SIZE per transaction. Safe to run twice, or at
    once with another delivery of the same ids: only rows still `sending` are delivered, under
    their row locks, so the second finds them `sent`."""
    ids = list(reminder_ids)
    size = settings.REMINDER_BATCH_SIZE
    report = DeliveryReport()
    for start in range(0, len(ids), size):
        report += deliver_batch(ids[start : start + size])
    return report


@transaction.atomic
def deliver_batch(reminder_ids: list[int]) -> DeliveryReport:
    """Deliver a batch in one transaction.

    Locks the rows still `sending`, writes their messages
    and marks them `sent` — or cancels those with nothing to say, or records a failure. All of it
    commits at once: a crash before the commit leaves no message and every row `sending`, for
    recovery to hand back. A few statements for the whole batch; should one of them fail, the
    batch is done again row by row, so that one bad reminder cannot hold up the others.
    """
    ids = sorted(set(reminder_ids))
    with connection.cursor() as cursor:
        # Wait for rows another transaction holds (briefly, a concurrent claim may), but not
        # for ever behind a hung deliverer: give up, and recovery hands them back later.
        cursor.execute("SET LOCAL lock_timeout = %s", [LOCK_TIMEOUT])
    rows = _lock_sending(ids)
    try:
        with transaction.atomic():  # a savepoint: the row locks stay ours if it rolls back
            return _deliver_together(rows, DeliveryReport(skipped=len(ids) - len(rows)))
    except DatabaseError:
        logger.exception("Delivering %d reminders together failed; one by one now", len(rows))
    rows = _lock_sending(ids)
    report = DeliveryReport(skipped=len(ids) - len(rows))
    for reminder in rows:
        outcome = _deliver_alone(reminder)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _lock_sending(ids: list[int]) -> list[Reminder]:
    """Our claimed rows, locked, with what their messages need. Not SKIP LOCKED: a concurrent
    claim's scan may hold a lock on a row it has just seen turn `sending` until its transaction
    ends (PostgreSQL keeps the lock of a row that fails the recheck), and skipping would strand
    the row until recovery. Rows another deliverer sent meanwhile drop out on the state recheck
    after the wait.

    The people (recipients, assignees) come in one query of their own, one instance per person
    for the whole batch, rather than joined to every row; the meetings' and goals' long texts,
    which no message shows, stay in the database.
    """
    rows = list(
        Reminder.objects.select_for_update(of=("self",))
        .select_related("follow_up__meeting", "follow_up__goal")
        .defer(*UNUSED_IN_MESSAGES)
        .filter(pk__in=ids, state=ReminderState.SENDING)
        .order_by("pk")
    )
    people_ids = {r.recipient_id for r in rows}
    people_ids |= {r.follow_up.assignee_id for r in rows if r.follow_up is not None}
    people = User.objects.in_bulk(people_ids) if people_ids else {}
    for reminder in rows:
        reminder.recipient = people[reminder.recipient_id]
        if reminder.follow_up is not None:
            reminder.follow_up.assignee = people[reminder.follow_up.assignee_id]
    return rows


@dataclass(frozen=True)
class Nothing:
    """No message after all; `why` is kept on the cancelled reminder when it is worth telling."""

    why: str = ""


def prepare_message(
    reminder: Reminder, *, now: datetime.datetime
) -> Notification | OutboxEmail | Nothing:
    """The (unsaved) message row of a locked `sending` reminder, or why there is none."""
    recipient = reminder.recipient
    if not recipient.is_active:
        return Nothing(gettext("The recipient's account is closed."))
    if reminder.channel == Channel.EMAIL and not recipient.email:
        return Nothing(gettext("The recipient has no e-mail address."))
    message = compose(reminder, now=now)
    if message is None:  # the follow-up was closed, the person met, the digest empty
        return Nothing()
    return message_row(reminder, message, now=now)


def message_row(
    reminder: Reminder, message: Message, *, now: datetime.datetime
) -> Notification | OutboxEmail:
    """The reminder's message in its channel: an in-app notification or an e-mail for the outbox.

    The unique reminder of both tables refuses a second message for the same reminder.
    """
    recipient = reminder.recipient
    if reminder.channel == Channel.IN_APP:
        return Notification(
            recipient=recipient,
            reminder=reminder,
            kind=reminder.kind,
            subject=message.subject,
            body=message.summary,
            url=message.path,
            created_at=now,
        )
    text, html = message.render_email(recipient)
    return OutboxEmail(
        reminder=reminder,
        recipient=recipient,
        to_address=recipient.email,
        subject=message.subject,
        body_text=text,
        body_html=html,
        created_at=now,
        next_attempt_at=now,
    )


def _deliver_together(rows: list[Reminder], report: DeliveryReport) -> DeliveryReport:
    now = timezone.now()
    notifications: list[Notification] = []
    emails: list[OutboxEmail] = []
    cancelled: dict[str, list[int]] = defaultdict(list)
    failed: list[tuple[Reminder, Exception]] = []
    for reminder in rows:
        try:
            outcome = prepare_message(reminder, now=now)
        except DatabaseError:
            raise
        except Exception as error:
            logger.warning("Reminder %s could not be composed", reminder.pk, exc_info=error)
            failed.append((reminder, error))
            continue
        if isinstance(outcome, Nothing):
            cancelled[outcome.why].append(reminder.pk)
        elif isinstance(outcome, Notification):
            notifications.append(outcome)
        else:
            emails.append(outcome)
    if notifications:
        Notification.objects.bulk_create(notifications)
    if emails:
        OutboxEmail.objects.bulk_create(emails)
    sent = [m.reminder_id for m in notifications] + [m.reminder_id for m in emails]
    if sent:
        Reminder.objects.filter(pk__in=sent).update(state=ReminderState.SENT, sent_at=now)
    for why, ids in cancelled.items():
        Reminder.objects.filter(pk__in=ids).update(
            state=ReminderState.CANCELLED, **({"last_error": why} if why else {})
        )
    report.sent += len(sent)
    report.cancelled += sum(len(ids) for ids in cancelled.values())
    for reminder, error in failed:
        outcome = _record_failure(reminder, error)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver_alone(reminder: Reminder) -> str:
    try:
        with transaction.atomic():  # a savepoint per reminder
            now = timezone.now()
            outcome = prepare_message(reminder, now=now)
            if isinstance(outcome, Nothing):
                return _cancel(reminder, outcome.why)
            outcome.save()
            reminder.state = ReminderState.SENT
            reminder.sent_at = now
            reminder.save(update_fields=["state", "sent_at"])
            return "sent"
    except Exception as error:
        logger.exception("Reminder %s could not be delivered", reminder.pk)
        return _record_failure(reminder, error)


def _cancel(reminder: Reminder, why: str) -> str:
    reminder.state = ReminderState.CANCELLED
    update = ["state"]
    if why:
        reminder.last_error = why
        update.append("last_error")
    reminder.save(update_fields=update)
    return "cancelled"


def retry_delay(attempts: int) -> datetime.timedelta:
    """REMINDER_RETRY_DELAY doubled after each attempt, at most an hour."""
    delay = datetime.timedelta(seconds=settings.REMINDER_RETRY_DELAY * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def _record_failure(reminder: Reminder, error: BaseException) -> str:
    """After a failed delivery of a locked row: retry later with backoff, or `failed` when out
    of attempts. The error is kept."""
    reminder.last_error = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    if reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
        reminder.state = ReminderState.FAILED
        outcome = "failed"
    else:
        reminder.state = ReminderState.PENDING
        reminder.next_attempt_at = timezone.now() + retry_delay(reminder.attempts)
        outcome = "retried"
    reminder.save(update_fields=["state", "last_error", "next_attempt_at"])
    return outcome


# --- The sweep -------------------------------------------------------------------------------


def sweep(
    *,
    dispatch: Callable[[list[int]], None] | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
) -> DeliveryReport:
    """Recover lost deliveries, then claim due reminders batch by batch and deliver them.

    With `dispatch` (the Celery sweep) each claimed batch is handed to it (to be queued as a
    delivery task) instead of delivered here. If dispatching fails (the broker is down) the
    batch is released and the sweep stops; the next one picks up where it left off.
    """
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    max_batches = max_batches or settings.REMINDER_SWEEP_MAX_BATCHES
    report = DeliveryReport(recovered=recover_stuck())
    for _ in range(max_batches):
        ids = claim_due(limit=batch_size)
        if not ids:
            break
        report.claimed += len(ids)
        if dispatch is None:
            report += deliver(ids)
        else:
            try:
                dispatch(ids)
            except Exception:
                logger.exception("Could not queue the delivery of %d reminders", len(ids))
                release(ids)
                report.claimed -= len(ids)
                break
        if len(ids) < batch_size:
            break
    if report.claimed or report.recovered:
        logger.info("Reminder sweep: %s", report)
    return report

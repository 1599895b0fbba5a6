"""Sending reminders: the sweep that claims due rows and delivers each exactly once.

The life of a reminder row: `pending` → (claimed) `sending` → `sent`, or back to `pending` with a
later `next_attempt_at` after a failure, `failed` after REMINDER_MAX_ATTEMPTS, `cancelled` when
there is nothing to say any more.

- Claim: `select_for_update(skip_locked=True)` picks a small batch of due rows that no one else
  holds, and a compare-and-set moves them `pending → sending` (counting the attempt). Any number
  of sweeps may run at once; they never claim the same row.
- Deliver: per row, one transaction locks it, checks it is still `sending`, writes its message
  (a Notification row, or an OutboxEmail row for the relay) and marks it `sent`. Both or
  neither: a crash before the commit leaves no message and the row `sending`; after it, the row
  is `sent`. The one-to-one from message to reminder makes a second message impossible.
- Recover: rows left `sending` longer than REMINDER_SENDING_TIMEOUT (a worker was killed, the
  broker lost the delivery task) go back to `pending` and are claimed again.

With Celery the sweep fans the claimed batches out to `deliver_reminders` tasks; without it the
sweep delivers them itself. E-mail leaves the outbox through `advocacy.mail.relay_outbox`.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from .messages import Message, compose
from .models import Channel, Notification, OutboxEmail, Reminder, ReminderState

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = datetime.timedelta(hours=1)
ERROR_LENGTH = 2000


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # no longer ours to send: sent, cancelled or held by another worker
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
    """Deliver claimed reminders, each in its own transaction. Safe to run twice, or at once
    with another delivery of the same ids: only a row still `sending` is delivered, under its
    row lock."""
    report = DeliveryReport()
    for reminder_id in reminder_ids:
        outcome = _deliver_or_record_failure(reminder_id)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver_or_record_failure(reminder_id: int) -> str:
    try:
        return deliver_one(reminder_id)
    except Exception as error:
        logger.exception("Reminder %s could not be delivered", reminder_id)
        return record_failure(reminder_id, error)


@transaction.atomic
def deliver_one(reminder_id: int) -> str:
    """Deliver one claimed reminder; returns the outcome ("sent", "cancelled", "skipped").

    The message row and the `sent` mark are written in this one transaction.
    """
    reminder = (
        Reminder.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "follow_up__assignee", "follow_up__meeting", "follow_up__goal")
        .filter(pk=reminder_id, state=ReminderState.SENDING)
        .first()
    )
    if reminder is None:
        return "skipped"
    now = timezone.now()
    recipient = reminder.recipient
    if not recipient.is_active:
        return _cancel(reminder, gettext("The recipient's account is closed."))
    if reminder.channel == Channel.EMAIL and not recipient.email:
        return _cancel(reminder, gettext("The recipient has no e-mail address."))
    message = compose(reminder, now=now)
    if message is None:
        return _cancel(reminder, "")
    write_message(reminder, message, now=now)
    reminder.state = ReminderState.SENT
    reminder.sent_at = now
    reminder.save(update_fields=["state", "sent_at"])
    return "sent"


def write_message(reminder: Reminder, message: Message, *, now: datetime.datetime) -> None:
    """The reminder's message in its channel: an in-app notification or an e-mail in the outbox.

    The unique reminder of both tables refuses a second message for the same reminder.
    """
    recipient = reminder.recipient
    if reminder.channel == Channel.IN_APP:
        Notification.objects.create(
            recipient=recipient,
            reminder=reminder,
            kind=reminder.kind,
            subject=message.subject,
            body=message.summary,
            url=message.path,
            created_at=now,
        )
    else:
        text, html = message.render_email(recipient)
        OutboxEmail.objects.create(
            reminder=reminder,
            recipient=recipient,
            to_address=recipient.email,
            subject=message.subject,
            body_text=text,
            body_html=html,
            created_at=now,
            next_attempt_at=now,
        )


def _cancel(reminder: Reminder, why: str) -> str:
    """Nothing to send any more (the follow-up was closed, the person met, the digest empty)."""
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


@transaction.atomic
def record_failure(reminder_id: int, error: BaseException) -> str:
    """After a failed delivery: retry later with backoff, or `failed` when out of attempts."""
    reminder = (
        Reminder.objects.select_for_update(skip_locked=True)
        .filter(pk=reminder_id, state=ReminderState.SENDING)
        .first()
    )
    if reminder is None:
        return "skipped"
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

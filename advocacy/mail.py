"""The outbox relay: sends queued e-mail with Django's e-mail framework (SMTP in production).

The one at-least-once step of reminder delivery, kept small: a relay leases a batch of queued
e-mails (their `next_attempt_at` moves OUTBOX_LEASE ahead, so no other relay takes them), sends
them over one connection with no transaction open, then marks the batch sent in one statement.
A crash between the SMTP server's "OK" and that mark sends the batch's accepted e-mails again
when the lease runs out; every e-mail carries a Message-ID made from its outbox row, so a second
copy is recognisably the same message.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxEmail, OutboxState

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = datetime.timedelta(hours=6)
ERROR_LENGTH = 2000


@dataclass
class RelayReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retried {self.retried}, failed {self.failed}"


@transaction.atomic
def lease_queued(*, limit: int, now: datetime.datetime | None = None) -> list[OutboxEmail]:
    """Take up to `limit` queued e-mails whose time has come, for OUTBOX_LEASE seconds."""
    now = now or timezone.now()
    rows = list(
        OutboxEmail.objects.filter(state=OutboxState.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .select_for_update(skip_locked=True)[:limit]
    )
    if rows:
        OutboxEmail.objects.filter(pk__in=[r.pk for r in rows]).update(
            next_attempt_at=now + datetime.timedelta(seconds=settings.OUTBOX_LEASE),
            attempts=F("attempts") + 1,
        )
        for row in rows:
            row.attempts += 1
    return rows


def message_id(email: OutboxEmail) -> str:
    """The same Message-ID for every copy of one outbox e-mail."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<kuusikko-outbox-{email.pk}.{email.created_at:%Y%m%d%H%M%S}@{host}>"


def build_message(email: OutboxEmail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
        headers={"Message-ID": message_id(email), "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def relay_outbox(*, batch_size: int = 50, max_batches: int = 20) -> RelayReport:
    """Send what is queued in the outbox, batch by batch, one SMTP connection per batch."""
    report = RelayReport()
    for _ in range(max_batches):
        batch = lease_queued(limit=batch_size)
        if not batch:
            break
        _send_batch(batch, report)
        if len(batch) < batch_size:
            break
    if report.sent or report.retried or report.failed:
        logger.info("Outbox relay: %s", report)
    return report


def _send_batch(batch: list[OutboxEmail], report: RelayReport) -> None:
    """Send a leased batch over one connection to the mail server, then mark what went out in
    one UPDATE. A message the server refuses is recorded on its own and does not stop the rest.

    Marking once per batch, not after each message, saves a commit per e-mail (it was two
    thirds of the relay's time); the price is that a relay killed outright in the middle of a
    batch sends the batch's accepted messages again when the lease runs out, not just the last
    one: still at least once, with the same Message-IDs.
    """
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as error:
        logger.exception("Could not connect to the mail server")
        for email in batch:
            _record_failure(email, error, report)
        return
    sent: list[int] = []
    try:
        for email in batch:
            try:
                build_message(email, connection).send()
            except Exception as error:
                logger.warning("E-mail %s to %s not sent: %s", email.pk, email.to_address, error)
                _record_failure(email, error, report)
            else:
                sent.append(email.pk)
    finally:
        connection.close()
        # Also when a message raised past the handler above (a KeyboardInterrupt, a worker's
        # time limit): what the server accepted so far is marked.
        _mark_sent(sent)
        report.sent += len(sent)


def _mark_sent(email_ids: list[int]) -> None:
    if email_ids:
        OutboxEmail.objects.filter(pk__in=email_ids, state=OutboxState.QUEUED).update(
            state=OutboxState.SENT, sent_at=timezone.now()
        )


def retry_delay(attempts: int) -> datetime.timedelta:
    """A minute, doubled after each attempt, at most six hours."""
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def _record_failure(email: OutboxEmail, error: BaseException, report: RelayReport) -> None:
    text = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    queued = OutboxEmail.objects.filter(pk=email.pk, state=OutboxState.QUEUED)
    if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        queued.update(state=OutboxState.FAILED, last_error=text)
        report.failed += 1
    else:
        queued.update(last_error=text, next_attempt_at=timezone.now() + retry_delay(email.attempts))
        report.retried += 1


@transaction.atomic
def requeue(email: OutboxEmail) -> bool:
    """Send a failed e-mail again (from the admin)."""
    return bool(
        OutboxEmail.objects.filter(pk=email.pk, state=OutboxState.FAILED).update(
            state=OutboxState.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
    )

"""Celery tasks of the reminder engine: thin wrappers that take ids and are safe to run twice.

Beat (config/settings.py, CELERY_BEAT_SCHEDULE) runs the sweep and the relay every
REMINDER_SWEEP_INTERVAL seconds and the periodic planning hourly. No task is ever scheduled
with a countdown: a reminder waits for its time as a database row, not as a broker message.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from . import delivery, mail, reminders
from .models import MeetingSearchWord


@shared_task(ignore_result=True)
def sweep_reminders() -> dict[str, int]:
    """Claim due reminders and queue their delivery, a batch per task."""
    return delivery.sweep(dispatch=queue_delivery).as_dict()


def queue_delivery(reminder_ids: list[int]) -> None:
    # The claim has committed (claim_due is its own transaction); on_commit runs at once here,
    # and waits for the commit when a caller wraps the sweep in a transaction.
    deliver_reminders.delay_on_commit(reminder_ids)


@shared_task(ignore_result=True)
def deliver_reminders(reminder_ids: list[int]) -> dict[str, int]:
    """Deliver claimed reminders; those no longer `sending` are skipped."""
    return delivery.deliver(reminder_ids).as_dict()


@shared_task(ignore_result=True)
def relay_outbox() -> int:
    return mail.relay_outbox().sent


@shared_task(ignore_result=True)
def plan_periodic_reminders() -> int:
    return reminders.plan_periodic_reminders()


@shared_task(ignore_result=True)
def rebuild_meeting_words() -> None:
    """Weekly: the meetings' search vocabulary lets go of the words of deleted, changed and
    anonymised texts (MeetingSearchWordQuerySet.rebuild)."""
    with transaction.atomic():
        MeetingSearchWord.objects.rebuild()

"""The sweep, run in-process: claim due rows, deliver each once, retry, recover, give up."""

import datetime
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext

from advocacy import delivery, services
from advocacy.models import (
    Channel,
    FollowUp,
    Notification,
    OutboxEmail,
    Reminder,
    ReminderKind,
    ReminderState,
)
from tests.factories import FollowUpFactory, GoalFactory, ReminderFactory, UserFactory

from .conftest import helsinki

pytestmark = pytest.mark.django_db

T = TypeVar("T")


def recovered_prefix() -> str:
    """The recovery message up to its number, in the active language."""
    return gettext("Delivery did not finish within %(seconds)d s; retried.").split("%")[0]


@pytest.fixture
def follow_up(now, staff, meeting):
    """Due on Wednesday 25 March 2026: reminded on Tuesday 24 March at 09:00 and on the day."""
    return services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="Send the memo to the ministry",
        assignee=staff,
        due_date=datetime.date(2026, 3, 25),
    )


def test_nothing_is_sent_before_its_time(follow_up):
    report = delivery.sweep()
    assert report.claimed == 0
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()


def test_due_reminders_become_one_notification_and_one_email_each(
    follow_up, time_machine, staff, settings
):
    settings.SITE_URL = "https://kuusikko.example.fi"
    time_machine.move_to(helsinki(2026, 3, 24, 9, 0), tick=False)

    report = delivery.sweep()

    assert (report.claimed, report.sent) == (2, 2)
    day_before = follow_up.reminders.filter(key="due-1d:2026-03-25")
    assert set(day_before.values_list("state", flat=True)) == {ReminderState.SENT}
    notification = Notification.objects.get()
    assert notification.recipient == staff
    assert notification.reminder.channel == Channel.IN_APP
    assert notification.subject == "Follow-up due tomorrow: Send the memo to the ministry"
    assert notification.url == f"/follow-ups/{follow_up.pk}/"
    email = OutboxEmail.objects.get()
    assert email.to_address == staff.email
    assert email.reminder.channel == Channel.EMAIL
    assert f"https://kuusikko.example.fi/follow-ups/{follow_up.pk}/" in email.body_text
    assert f'href="https://kuusikko.example.fi/follow-ups/{follow_up.pk}/"' in email.body_html


def test_a_second_sweep_sends_nothing_again(follow_up, time_machine):
    time_machine.move_to(helsinki(2026, 3, 24, 9, 0), tick=False)
    delivery.sweep()
    report = delivery.sweep()
    assert report.claimed == 0
    assert Notification.objects.count() == 1 and OutboxEmail.objects.count() == 1


def test_delivering_the_same_ids_twice_delivers_once(follow_up, time_machine):
    time_machine.move_to(helsinki(2026, 3, 24, 9, 0), tick=False)
    ids = delivery.claim_due(limit=10)

    first, second = delivery.deliver(ids), delivery.deliver(ids)

    assert (first.sent, second.sent, second.skipped) == (2, 0, 2)
    assert Notification.objects.count() == 1 and OutboxEmail.objects.count() == 1


def test_the_database_refuses_a_second_message_for_one_reminder(now):
    reminder = ReminderFactory(channel=Channel.IN_APP, state=ReminderState.SENT, sent_at=now)
    Notification.objects.create(recipient=reminder.recipient, reminder=reminder, kind=reminder.kind)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=reminder.recipient, reminder=reminder, kind=reminder.kind
        )


def test_a_follow_up_closed_after_the_claim_is_cancelled_not_sent(follow_up, time_machine, staff):
    time_machine.move_to(helsinki(2026, 3, 24, 9, 0), tick=False)
    ids = delivery.claim_due(limit=10)
    services.complete_follow_up(follow_up=follow_up, by=staff)

    report = delivery.deliver(ids)

    assert report.cancelled == 2
    assert set(Reminder.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        ReminderState.CANCELLED
    }
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()


def test_email_to_a_user_who_lost_the_address_is_cancelled_with_a_reason(now):
    reminder = ReminderFactory(channel=Channel.EMAIL)
    type(reminder.recipient).objects.filter(pk=reminder.recipient_id).update(email="")

    delivery.sweep()

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.CANCELLED
    assert reminder.last_error == gettext("The recipient has no e-mail address.")
    assert not OutboxEmail.objects.exists()


def test_a_closed_account_gets_nothing(now):
    reminder = ReminderFactory(channel=Channel.IN_APP)
    type(reminder.recipient).objects.filter(pk=reminder.recipient_id).update(is_active=False)

    delivery.sweep()

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.CANCELLED
    assert not Notification.objects.exists()


# --- Failures, backoff, giving up ------------------------------------------------------------


@pytest.fixture
def broken_composer(monkeypatch):
    def compose(reminder, *, now=None):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(delivery, "compose", compose)


def test_a_failed_delivery_is_retried_after_a_growing_delay(
    now, time_machine, settings, broken_composer
):
    settings.REMINDER_RETRY_DELAY = 60
    reminder = ReminderFactory(channel=Channel.IN_APP)

    assert delivery.sweep().retried == 1
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.PENDING
    assert reminder.attempts == 1
    assert reminder.last_error == "RuntimeError: template exploded"
    assert reminder.next_attempt_at == now + datetime.timedelta(seconds=60)

    assert delivery.sweep().claimed == 0  # not before its retry time

    time_machine.move_to(now + datetime.timedelta(seconds=60), tick=False)
    assert delivery.sweep().retried == 1
    reminder.refresh_from_db()
    assert reminder.attempts == 2
    assert reminder.next_attempt_at == now + datetime.timedelta(seconds=60 + 120)


def test_a_reminder_fails_for_good_after_the_last_attempt_and_keeps_the_error(
    now, time_machine, settings, broken_composer
):
    settings.REMINDER_MAX_ATTEMPTS = 3
    reminder = ReminderFactory(channel=Channel.EMAIL)
    for _ in range(3):
        delivery.sweep()
        time_machine.move_to(now + datetime.timedelta(hours=2), tick=False)
        now += datetime.timedelta(hours=2)

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.FAILED
    assert reminder.attempts == 3
    assert reminder.last_error == "RuntimeError: template exploded"
    assert delivery.sweep().claimed == 0
    assert not OutboxEmail.objects.exists()


def test_an_administrator_retries_a_failed_reminder(now):
    admin = UserFactory(admin=True)
    reminder = ReminderFactory(
        channel=Channel.IN_APP, state=ReminderState.FAILED, attempts=5, last_error="boom"
    )

    services.retry_reminder(reminder=reminder, by=admin)
    report = delivery.sweep()

    reminder.refresh_from_db()
    assert report.sent == 1
    assert (reminder.state, reminder.attempts) == (ReminderState.SENT, 1)
    assert Notification.objects.filter(reminder=reminder).count() == 1


def test_only_administrators_retry_and_only_failed_reminders(now):
    failed = ReminderFactory(state=ReminderState.FAILED)
    with pytest.raises(PermissionDenied):
        services.retry_reminder(reminder=failed, by=UserFactory(coordinator=True))
    with pytest.raises(ValidationError):
        services.retry_reminder(reminder=ReminderFactory(), by=UserFactory(admin=True))


# --- Crash recovery --------------------------------------------------------------------------


def test_a_row_left_sending_by_a_crash_is_recovered_and_sent_once(now, time_machine, settings):
    settings.REMINDER_SENDING_TIMEOUT = 600
    reminder = ReminderFactory(channel=Channel.EMAIL)
    delivery.claim_due(limit=10)  # ... and the worker dies before delivering

    time_machine.move_to(now + datetime.timedelta(seconds=599), tick=False)
    assert delivery.sweep().recovered == 0
    time_machine.move_to(now + datetime.timedelta(seconds=601), tick=False)
    report = delivery.sweep()

    reminder.refresh_from_db()
    assert (report.recovered, report.sent) == (1, 1)
    assert (reminder.state, reminder.attempts) == (ReminderState.SENT, 2)
    assert reminder.last_error.startswith(recovered_prefix())
    assert OutboxEmail.objects.filter(reminder=reminder).count() == 1


def test_a_row_stuck_on_its_last_attempt_fails(now, time_machine, settings):
    settings.REMINDER_MAX_ATTEMPTS = 1
    reminder = ReminderFactory()
    delivery.claim_due(limit=10)
    time_machine.move_to(now + datetime.timedelta(hours=1), tick=False)

    delivery.sweep()

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.FAILED


def test_a_batch_that_cannot_be_queued_is_handed_back(now):
    reminder = ReminderFactory()

    def broker_down(ids):
        raise ConnectionError("Redis is away")

    report = delivery.sweep(dispatch=broker_down)

    reminder.refresh_from_db()
    assert report.claimed == 0
    assert (reminder.state, reminder.attempts) == (ReminderState.PENDING, 0)


def test_the_sweep_claims_in_batches_and_logs_its_counts(now, caplog):
    follow_up = FollowUpFactory()
    ReminderFactory.create_batch(
        5, follow_up=follow_up, recipient=follow_up.assignee, channel=Channel.IN_APP
    )
    with caplog.at_level(logging.INFO, logger="advocacy.delivery"):
        report = delivery.sweep(batch_size=2)

    assert (report.claimed, report.sent) == (5, 5)
    assert "Reminder sweep: claimed 5, sent 5, cancelled 0, retried 0, failed 0" in caplog.text


@pytest.mark.parametrize("count", [1, 20])
def test_delivering_a_batch_takes_the_same_queries_for_one_reminder_or_many(
    now, count, django_assert_num_queries
):
    follow_up = FollowUpFactory()
    ReminderFactory.create_batch(
        count, follow_up=follow_up, recipient=follow_up.assignee, channel=Channel.IN_APP
    )
    ids = delivery.claim_due(limit=count)
    # 1 SAVEPOINT (the batch's transaction, inside the test's)
    # 2 SET LOCAL lock_timeout
    # 3 SELECT ... FOR UPDATE OF reminder, with follow-up, meeting and goal joined
    # 4 SELECT the people (recipients and assignees) of the batch
    # 5 SAVEPOINT (delivering together)
    # 6 INSERT the notifications
    # 7 UPDATE the reminders to sent
    # 8 RELEASE SAVEPOINT (delivering together)
    # 9 RELEASE SAVEPOINT (the batch's)
    with django_assert_num_queries(9):
        assert delivery.deliver_batch(ids).sent == count


@pytest.mark.parametrize("follow_ups", [1, 12])
def test_a_mixed_batch_takes_the_same_queries_however_many_people_and_follow_ups(
    now, follow_ups, django_assert_num_queries
):
    """Each follow-up of its own assignee, with a goal, reminded by e-mail and in the app, and
    escalated to a coordinator: the people, follow-ups, meetings and goals are read once per
    batch, not once per reminder."""
    coordinator = UserFactory(coordinator=True, language="en")
    for _ in range(follow_ups):
        follow_up = FollowUpFactory(goal=GoalFactory(), due_date=now.date())
        for channel in (Channel.EMAIL, Channel.IN_APP):
            ReminderFactory(follow_up=follow_up, recipient=follow_up.assignee, channel=channel)
        ReminderFactory(
            follow_up=follow_up,
            recipient=coordinator,
            kind=ReminderKind.ESCALATION,
            channel=Channel.EMAIL,
        )
    ids = delivery.claim_due(limit=100)
    # 1 SAVEPOINT (the batch's), 2 SET LOCAL lock_timeout, 3 SELECT ... FOR UPDATE the
    # reminders with follow-up, meeting and goal, 4 SELECT the people, 5 SAVEPOINT (together),
    # 6 INSERT the notifications, 7 INSERT the e-mails, 8 UPDATE the reminders to sent,
    # 9 RELEASE SAVEPOINT (together), 10 RELEASE SAVEPOINT (the batch's)
    with django_assert_num_queries(10):
        report = delivery.deliver_batch(ids)

    assert report.sent == 3 * follow_ups
    escalation = OutboxEmail.objects.filter(recipient=coordinator).first()
    assert str(FollowUp.objects.get(pk=escalation.reminder.follow_up_id).assignee) in (
        escalation.body_text
    )


def run_concurrently(work: Callable[[], T], *, workers: int) -> list[T]:
    """`work` in `workers` threads started together, each with its own database connection."""
    start = threading.Barrier(workers)

    def one() -> T:
        start.wait()
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [f.result() for f in [pool.submit(one) for _ in range(workers)]]


# The threads see committed rows only: a transactional test (see test_celery_drills.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_send_each_reminder_exactly_once(now):
    """Two sweeps run concurrently, each on its own database connection (as two workers),
    in small batches, and then once more: every due reminder has exactly one message."""
    follow_ups = FollowUpFactory.create_batch(20, due_date=now.date())
    for follow_up in follow_ups:
        for channel in (Channel.EMAIL, Channel.IN_APP):
            ReminderFactory(follow_up=follow_up, recipient=follow_up.assignee, channel=channel)
    sweeps = run_concurrently(lambda: delivery.sweep(batch_size=3), workers=2)

    assert sum(report.claimed for report in sweeps) == 40
    assert sum(report.sent for report in sweeps) == 40
    assert delivery.sweep().claimed == 0
    assert Reminder.objects.filter(state=ReminderState.SENT).count() == 40
    assert Notification.objects.count() == 20 and OutboxEmail.objects.count() == 20
    assert not Reminder.objects.exclude(state=ReminderState.SENT).exists()


def test_a_batch_whose_writes_fail_is_done_again_one_by_one(now, monkeypatch):
    follow_up = FollowUpFactory()
    good = ReminderFactory(
        follow_up=follow_up, recipient=follow_up.assignee, channel=Channel.IN_APP
    )
    bad = ReminderFactory(follow_up=follow_up, recipient=follow_up.assignee, channel=Channel.IN_APP)
    Notification.objects.create(recipient=bad.recipient, reminder=bad, kind=bad.kind)  # in the way
    ids = delivery.claim_due(limit=10)

    report = delivery.deliver_batch(ids)

    good.refresh_from_db(), bad.refresh_from_db()
    assert (report.sent, report.retried) == (1, 1)
    assert good.state == ReminderState.SENT
    assert bad.state == ReminderState.PENDING
    assert "IntegrityError" in bad.last_error

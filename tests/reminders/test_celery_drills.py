"""Fault drills: a real Redis, real Celery workers and beat schedulers (subprocesses), the real
test database. Reminders must go out exactly once whatever happens to workers and broker.

Each drill waits for an outcome with a generous deadline; none asserts how fast it came.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from advocacy import delivery, services
from advocacy.models import (
    Channel,
    FollowUp,
    Notification,
    OutboxEmail,
    OutboxState,
    Reminder,
    ReminderKind,
    ReminderState,
)
from advocacy.services import NewFollowUp
from advocacy.tasks import queue_delivery, relay_outbox, sweep_reminders
from tests.factories import MeetingFactory, UserFactory

from .drills import (
    all_sent,
    assert_each_delivered_exactly_once,
    requires_redis_server,
    wait_until,
)

# The workers see committed rows only: transactional tests. serialized_rollback restores the
# migrations' rows (municipalities, content types) before and leaves the tables empty after, as
# the suite's other serialized test (tests/test_migrations.py) expects.
pytestmark = [
    pytest.mark.slow,
    requires_redis_server,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEADLINE = 120  # seconds: against a hung drill, not a performance requirement


def recovered_prefix() -> str:
    """The recovery message up to its number, in the worker's language (settings.LANGUAGE_CODE)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Delivery did not finish within %(seconds)d s; retried.").split("%")[0]


def due_reminders(count: int, *, due_at: datetime.datetime | None = None) -> list[int]:
    """`count` follow-up reminders due now (or at `due_at`), half by e-mail, half in the app."""
    user = UserFactory(staff=True, language="en")
    meeting = MeetingFactory(author=user)
    follow_ups = FollowUp.objects.bulk_create(
        FollowUp(
            meeting=meeting,
            description=f"Drill follow-up {i}",
            assignee=user,
            created_by=user,
            due_date=timezone.localdate() + datetime.timedelta(days=1),
        )
        for i in range(count // 2)
    )
    due_at = due_at or timezone.now() - datetime.timedelta(minutes=1)
    rows = Reminder.objects.bulk_create(
        Reminder(
            kind=ReminderKind.FOLLOW_UP_DUE,
            recipient=user,
            channel=channel,
            due_at=due_at,
            follow_up=follow_up,
            key="drill",
        )
        for follow_up in follow_ups
        for channel in (Channel.EMAIL, Channel.IN_APP)
    )
    return [r.pk for r in rows]


def states(ids: list[int]) -> dict[str, int]:
    found: dict[str, int] = {}
    for state in Reminder.objects.filter(pk__in=ids).values_list("state", flat=True):
        found[state] = found.get(state, 0) + 1
    return found


def outbox_relayed() -> bool:
    return not OutboxEmail.objects.filter(state=OutboxState.QUEUED).exists()


def assert_each_email_sent_once(drill, count: int) -> None:
    wait_until(outbox_relayed, timeout=DEADLINE, what="the outbox relayed", logs=drill.logs)
    sent = drill.sent_emails()
    assert len(sent) == len(set(sent)) == count


def test_500_due_reminders_two_workers_and_two_concurrent_sweeps_send_each_once(drill, real_broker):
    ids = due_reminders(500)
    drill.start_worker("w1")
    drill.start_worker("w2")

    sweep_reminders.delay()
    sweep_reminders.delay()

    wait_until(all_sent(ids), timeout=DEADLINE, what="500 reminders sent", logs=drill.logs)
    assert_each_delivered_exactly_once(ids)
    # Each row was claimed once: no sweep took a row another had claimed.
    assert set(Reminder.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    relay_outbox.delay()
    relay_outbox.delay()
    assert_each_email_sent_once(drill, 250)


def test_a_worker_killed_mid_batch_leaves_every_reminder_delivered_exactly_once(
    drill, real_broker, tmp_path
):
    ids = due_reminders(300)
    assert delivery.sweep(dispatch=queue_delivery, batch_size=25).claimed == 300
    marker = tmp_path / "hung-on"
    victim = drill.start_worker(
        "victim",
        app="tests.reminders.hanging_worker",
        KUUSIKKO_HANG_AFTER="40",
        KUUSIKKO_HANG_MARKER=str(marker),
    )
    wait_until(marker.exists, timeout=DEADLINE, what="the victim to hang", logs=drill.logs)
    hung_on = int(marker.read_text())
    # In the middle of its second batch of 25: the first committed, nothing of the second.
    assert states(ids) == {ReminderState.SENT: 25, ReminderState.SENDING: 275}
    assert not OutboxEmail.objects.filter(reminder_id=hung_on).exists()
    assert not Notification.objects.filter(reminder_id=hung_on).exists()

    victim.kill()
    drill.start_worker("survivor", REMINDER_SENDING_TIMEOUT="3")
    drill.start_beat("beat", REMINDER_SENDING_TIMEOUT="3")

    wait_until(all_sent(ids), timeout=DEADLINE, what="all reminders sent", logs=drill.logs)
    assert_each_delivered_exactly_once(ids)
    hung = Reminder.objects.get(pk=hung_on)
    assert hung.attempts >= 2
    assert hung.last_error.startswith(recovered_prefix())
    assert_each_email_sent_once(drill, 150)


def test_during_a_broker_outage_the_web_app_serves_and_due_reminders_go_out_afterwards(
    drill, real_broker, client
):
    drill.start_worker("w1")
    beat = drill.start_beat("beat")
    wait_until(
        lambda: "Sending due task sweep-reminders" in beat.output(),
        timeout=DEADLINE,
        what="beat to run",
        logs=drill.logs,
    )

    drill.redis.stop()

    # The web app's write paths only write rows; nothing waits for the broker.
    staff = UserFactory(staff=True, language="en")
    meeting = services.log_meeting(
        author=staff,
        title="Logged while Redis is down",
        follow_ups=[
            NewFollowUp(
                description="Follow up the outage",
                assignee=staff,
                due_date=timezone.localdate() + datetime.timedelta(days=7),
            )
        ],
    )
    assert meeting.follow_ups.get().reminders.filter(state=ReminderState.PENDING).exists()
    client.force_login(UserFactory(admin=True, is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200
    # These fall due while the broker is away.
    ids = due_reminders(100, due_at=timezone.now() + datetime.timedelta(seconds=1))
    time.sleep(3)  # the outage goes on: beat and worker keep failing to reach Redis

    drill.redis.start()  # back on the same port, empty

    wait_until(
        all_sent(ids), timeout=DEADLINE, what="reminders sent after the outage", logs=drill.logs
    )
    assert_each_delivered_exactly_once(ids)


def test_redis_flushed_while_deliveries_are_queued_still_sends_each_reminder_once(
    drill, real_broker
):
    ids = due_reminders(200)
    assert delivery.sweep(dispatch=queue_delivery, batch_size=25).claimed == 200
    broker = drill.redis.client()
    assert broker.llen("celery") == 8  # eight delivery tasks of 25 reminders wait in Redis
    assert states(ids) == {ReminderState.SENDING: 200}

    broker.flushall()
    assert broker.dbsize() == 0

    drill.start_worker("w1", REMINDER_SENDING_TIMEOUT="5")
    drill.start_beat("beat", REMINDER_SENDING_TIMEOUT="5")

    wait_until(all_sent(ids), timeout=DEADLINE, what="all reminders sent", logs=drill.logs)
    assert_each_delivered_exactly_once(ids)
    # The lost claims were recovered and claimed again.
    assert min(Reminder.objects.filter(pk__in=ids).values_list("attempts", flat=True)) >= 2


def test_two_beat_schedulers_running_by_mistake_still_send_each_reminder_once(drill):
    ids = due_reminders(200)
    drill.start_worker("w1")
    drill.start_worker("w2")
    beats = [drill.start_beat("beat1"), drill.start_beat("beat2")]

    wait_until(all_sent(ids), timeout=DEADLINE, what="all reminders sent", logs=drill.logs)
    assert_each_delivered_exactly_once(ids)
    assert set(Reminder.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    assert_each_email_sent_once(drill, 100)
    for beat in beats:
        assert "Sending due task sweep-reminders" in beat.output()


def test_no_reminder_waits_in_redis_as_a_long_countdown(drill, real_broker):
    # Two coordinators: each follow-up plans 3 reminders to its assignee and an escalation to
    # each coordinator, on both channels: 10 rows.
    UserFactory.create_batch(2, coordinator=True)
    staff = UserFactory(staff=True)
    meeting = MeetingFactory(author=staff)
    next_month = timezone.localdate() + datetime.timedelta(days=30)
    for i in range(100):
        services.add_follow_up(
            by=staff,
            meeting=meeting,
            description=f"Next month {i}",
            assignee=staff,
            due_date=next_month + datetime.timedelta(days=i % 10),
        )
    planned = Reminder.objects.filter(state=ReminderState.PENDING)
    assert planned.count() == 1000

    worker = drill.start_worker("w1")
    drill.start_beat("beat")
    wait_until(
        lambda: (
            len(re.findall(r"sweep_reminders\[[^]]+\] succeeded", worker.output())) >= 3
            and "plan_periodic_reminders" in worker.output()
        ),
        timeout=DEADLINE,
        what="three sweeps and a planning run",
        logs=drill.logs,
    )

    horizon = timezone.now() + datetime.timedelta(minutes=5)
    messages = drill.redis.messages()
    etas = [m["headers"].get("eta") for m in messages]
    late = [eta for eta in etas if eta and datetime.datetime.fromisoformat(eta) > horizon]
    assert late == []
    assert len(messages) < 20  # a few sweeps and relays in flight, not a message per reminder
    assert planned.count() >= 1000  # nothing was sent early (digests may have been planned)
    assert not Reminder.objects.filter(
        kind__in=[ReminderKind.FOLLOW_UP_DUE, ReminderKind.ESCALATION],
        state__in=[ReminderState.SENDING, ReminderState.SENT],
    ).exists()

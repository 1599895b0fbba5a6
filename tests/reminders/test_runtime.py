"""How the engine runs: Celery tasks (eager here), the in-process timer without Redis, the
management commands."""

import os
from types import SimpleNamespace

import pytest
from django.core import mail as django_mail
from django.core.management import CommandError, call_command

from advocacy import inprocess, tasks
from advocacy.models import Channel, Notification, OutboxEmail, OutboxState, ReminderState
from tests.factories import ReminderFactory

from .drills import database_url_for_workers


@pytest.mark.django_db
def test_the_sweep_task_queues_deliveries_after_the_claim_commits(
    now, eager_celery, django_capture_on_commit_callbacks
):
    reminder = ReminderFactory(channel=Channel.IN_APP)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        report = tasks.sweep_reminders.delay().get()

    reminder.refresh_from_db()
    assert report["claimed"] == 1
    assert len(queued) == 1  # one delivery task for the batch
    assert reminder.state == ReminderState.SENT
    assert Notification.objects.filter(reminder=reminder).exists()


@pytest.mark.django_db
def test_the_delivery_task_is_harmless_when_run_twice(now, eager_celery):
    reminder = ReminderFactory(channel=Channel.IN_APP, state=ReminderState.SENDING)

    first = tasks.deliver_reminders.delay([reminder.pk]).get()
    second = tasks.deliver_reminders.delay([reminder.pk]).get()

    assert (first["sent"], second["sent"], second["skipped"]) == (1, 0, 1)
    assert Notification.objects.filter(reminder=reminder).count() == 1


@pytest.mark.parametrize(
    ("argv", "environ", "serving"),
    [
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),  # the autoreloaded child
        (["manage.py", "runserver"], {}, False),  # the reloader's parent
        (["manage.py", "runserver", "--noreload"], {}, True),
        (["/srv/.venv/bin/gunicorn", "config.wsgi"], {}, True),
        (["manage.py", "migrate"], {"RUN_MAIN": "true"}, False),
        (["manage.py", "send_due_reminders"], {}, False),
        (["/usr/bin/pytest"], {}, False),
        (["celery", "-A", "config", "worker"], {}, False),
    ],
)
def test_only_the_serving_process_sweeps_in_process(argv, environ, serving):
    assert inprocess.is_serving_process(argv, environ) is serving


def test_no_sweeper_thread_runs_during_tests():
    assert not inprocess._started.is_set()


def test_the_timer_goes_on_after_a_failed_round_and_plans_again_until_it_succeeds(monkeypatch):
    rounds = []

    def run_once(*, plan):
        rounds.append(plan)
        if len(rounds) == 1:
            raise RuntimeError("the database is restarting")
        if len(rounds) == 3:
            raise SystemExit  # end the loop for the test

    monkeypatch.setattr(inprocess, "run_once", run_once)
    monkeypatch.setattr(inprocess.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(inprocess, "connection", SimpleNamespace(close=lambda: None))
    with pytest.raises(SystemExit):
        inprocess._loop(interval=60, plan_interval=3600)

    assert rounds == [True, True, False]


@pytest.mark.django_db
def test_one_in_process_round_sends_what_is_due_and_relays_the_outbox(now):
    reminder = ReminderFactory(channel=Channel.EMAIL)

    inprocess.run_once(plan=True)

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SENT
    assert OutboxEmail.objects.get(reminder=reminder).state == OutboxState.SENT
    assert len(django_mail.outbox) == 1


@pytest.mark.django_db
def test_send_due_reminders_runs_one_sweep_and_relays(now, capsys):
    ReminderFactory(channel=Channel.EMAIL)
    ReminderFactory(channel=Channel.IN_APP)

    call_command("send_due_reminders", "--plan")

    out = capsys.readouterr().out
    assert "Reminders: claimed 2, sent 2" in out
    assert "Outbox: sent 1" in out
    assert len(django_mail.outbox) == 1


@pytest.mark.django_db
def test_send_due_reminders_can_leave_the_outbox_alone(now):
    ReminderFactory(channel=Channel.EMAIL)
    call_command("send_due_reminders", "--no-relay")
    assert OutboxEmail.objects.get().state == OutboxState.QUEUED
    assert django_mail.outbox == []


@pytest.mark.django_db
def test_the_benchmark_refuses_a_database_with_real_reminders_due(now):
    ReminderFactory()
    with pytest.raises(CommandError, match="scratch database"):
        call_command("bench_reminders", "--count", "10")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # see test_celery_drills.py
def test_the_benchmark_delivers_everything_once_and_cleans_up(monkeypatch, capsys):
    # Its sweep processes must reach the test database.
    monkeypatch.setenv("DATABASE_URL", database_url_for_workers())
    monkeypatch.setitem(os.environ, "CONN_MAX_AGE", "0")

    call_command("bench_reminders", "--count", "40", "--workers", "2")

    out = capsys.readouterr().out
    assert "40 of 40 delivered" in out
    assert "Relay (2 relays, locmem backend): 20 e-mails" in out
    assert "Duplicates: 0 extra messages, 0 e-mails sent twice; missing: 0" in out
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()

"""Benchmark the reminder engine: N due reminders, swept by parallel sweeps, relayed.

Run it against a scratch database (it refuses when other reminders are due or e-mail is
queued, which it would otherwise send):

    DATABASE_URL=postgres://.../kuusikko_bench manage.py migrate
    DATABASE_URL=postgres://.../kuusikko_bench manage.py bench_reminders --count 10000
"""

from __future__ import annotations

import datetime
import resource
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pgtrigger
from django.conf import settings
from django.core import mail as django_mail
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from advocacy import delivery, mail
from advocacy.models import (
    Channel,
    FollowUp,
    Meeting,
    Notification,
    OutboxEmail,
    OutboxState,
    Reminder,
    ReminderKind,
    ReminderState,
)
from crm.models import Role, User


def children_cpu() -> float:
    """User and system CPU seconds of this process's finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def vacuum_analyze(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class Command(BaseCommand):
    help = "Create N due reminders, deliver them with parallel sweeps, report sends per second."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000, help="reminders (default 10000)")
        parser.add_argument("--workers", type=int, default=2, help="parallel sweeps (default 2)")
        parser.add_argument(
            "--mode",
            choices=["processes", "celery"],
            default="processes",
            help="processes: one `send_due_reminders` process per worker (no Redis needed); "
            "celery: queue a sweep per worker to the running Celery workers (needs REDIS_URL)",
        )
        parser.add_argument("--keep", action="store_true", help="keep the rows afterwards")

    def handle(self, *args, count: int, workers: int, mode: str, keep: bool, **options):
        if mode == "celery" and not settings.REDIS_URL:
            raise CommandError("--mode celery needs REDIS_URL and running workers (make worker).")
        now = timezone.now()
        if (
            delivery.due(now).exists()
            or OutboxEmail.objects.filter(state=OutboxState.QUEUED).exists()
        ):
            raise CommandError(
                "Other reminders are due or e-mail is queued in this database; the benchmark "
                "would send them. Run it against a scratch database."
            )
        started = time.perf_counter()
        user, ids = self._create(count)
        self.stdout.write(
            f"Created {len(ids)} due reminders ({len(ids) // 2} by e-mail, {len(ids) // 2} "
            f"in the app) in {time.perf_counter() - started:.1f} s"
        )
        try:
            self._run(ids, workers=workers, mode=mode)
        finally:
            if not keep:
                self._remove(user)

    def _create(self, count: int) -> tuple[User, list[int]]:
        with pgtrigger.ignore():  # no history rows for benchmark data
            user = User.objects.create(
                username=f"bench-{uuid.uuid4().hex[:12]}",
                email="bench@example.invalid",
                role=Role.STAFF,
                language="fi",
            )
            meeting = Meeting.objects.create(author=user, title="Benchmark")
            follow_ups = FollowUp.objects.bulk_create(
                (
                    FollowUp(
                        meeting=meeting,
                        description=f"Benchmark follow-up {i}",
                        assignee=user,
                        created_by=user,
                        due_date=timezone.localdate() + datetime.timedelta(days=1),
                    )
                    for i in range((count + 1) // 2)
                ),
                batch_size=1000,
            )
        due_at = timezone.now() - datetime.timedelta(seconds=1)
        rows = Reminder.objects.bulk_create(
            (
                Reminder(
                    kind=ReminderKind.FOLLOW_UP_DUE,
                    recipient=user,
                    channel=channel,
                    due_at=due_at,
                    follow_up=follow_up,
                    key="bench",
                )
                for follow_up in follow_ups
                for channel in (Channel.EMAIL, Channel.IN_APP)
            ),
            batch_size=1000,
        )
        # Fresh statistics and no dead rows of earlier runs, as autovacuum would leave them for
        # reminders and follow-ups made days ahead (and must, where it is off): plans made from
        # the statistics of empty tables sort every due row for each batch, or scan all the
        # follow-ups for each reminder.
        vacuum_analyze(Reminder, FollowUp, Meeting, User, OutboxEmail, Notification)
        return user, [r.pk for r in rows][:count]

    def _run(self, ids: list[int], *, workers: int, mode: str) -> None:
        reminders = Reminder.objects.filter(pk__in=ids)
        started, cpu_started = time.perf_counter(), children_cpu()
        if mode == "processes":
            self._sweep_in_processes(workers)
        else:
            self._sweep_with_celery(reminders, workers)
        swept = time.perf_counter() - started
        sent = reminders.filter(state=ReminderState.SENT).count()
        # The CPU time of the sweep processes, a figure less at the mercy of a busy machine
        # than the wall clock (the database server's own is not in it).
        cpu = f"; CPU of the sweep processes {children_cpu() - cpu_started:.1f} s"
        self.stdout.write(
            f"Sweep ({mode}, {workers} workers): {sent} of {len(ids)} delivered in "
            f"{swept:.1f} s = {sent / swept:.0f} reminders/s{cpu if mode == 'processes' else ''}"
        )

        vacuum_analyze(OutboxEmail)  # the relay's table was filled by the sweep just now
        relay_started, relay_cpu_started = time.perf_counter(), time.process_time()
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            django_mail.outbox = []
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda _: self._relay_all(), range(workers)))
            message_ids = [m.extra_headers["Message-ID"] for m in django_mail.outbox]
        relayed = time.perf_counter() - relay_started
        relay_cpu = time.process_time() - relay_cpu_started
        self.stdout.write(
            f"Relay ({workers} relays, locmem backend): {len(message_ids)} e-mails in "
            f"{relayed:.1f} s = {len(message_ids) / relayed:.0f} e-mails/s; "
            f"CPU of the relay threads {relay_cpu:.1f} s"
        )

        messages = OutboxEmail.objects.filter(reminder__in=reminders).count()
        messages += Notification.objects.filter(reminder__in=reminders).count()
        twice = (
            OutboxEmail.objects.filter(reminder__in=reminders)
            .values("reminder")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        self.stdout.write(
            f"Duplicates: {messages - sent + twice} extra messages, "
            f"{len(message_ids) - len(set(message_ids))} e-mails sent twice; "
            f"missing: {len(ids) - sent}"
        )
        total = swept + relayed
        self.stdout.write(f"Total: {total:.1f} s = {sent / total:.0f} sends/s end to end")

    @staticmethod
    def _relay_all() -> None:
        """One relay (in a thread, with its own connection) until the outbox is empty."""
        try:
            while mail.relay_outbox(batch_size=50, max_batches=20).sent:
                pass
        finally:
            connection.close()

    def _sweep_in_processes(self, workers: int) -> None:
        """`workers` concurrent `send_due_reminders` processes, again until nothing is due (one
        sweep stops after REMINDER_SWEEP_MAX_BATCHES batches)."""
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "send_due_reminders"]
        while True:
            processes = [
                subprocess.Popen([*command, "--no-relay"], stdout=subprocess.DEVNULL)  # noqa: S603
                for _ in range(workers)
            ]
            if any(p.wait() for p in processes):
                raise CommandError("A sweep process failed.")
            if not delivery.due(timezone.now()).exists():
                return

    def _sweep_with_celery(self, reminders, workers: int) -> None:
        from advocacy.tasks import sweep_reminders

        total = reminders.count()
        while reminders.filter(state=ReminderState.SENT).count() < total:
            if not reminders.filter(state=ReminderState.SENDING).exists():
                for _ in range(workers):
                    sweep_reminders.delay()
            time.sleep(0.2)

    def _remove(self, user: User) -> None:
        with pgtrigger.ignore():
            OutboxEmail.objects.filter(recipient=user).delete()
            Notification.objects.filter(recipient=user).delete()
            Reminder.objects.filter(recipient=user).delete()
            FollowUp.objects.filter(assignee=user).delete()
            Meeting.objects.filter(author=user).delete()
            user.delete()

"""Reminders without Redis: the sweep on a timer thread inside the serving process.

`make run` (the embedded default) has no broker and no Celery worker. So that reminders still
arrive, the process that serves requests starts a daemon thread that every
REMINDER_SWEEP_INTERVAL seconds runs the very same sweep and outbox relay as the Celery tasks,
and the periodic planning every REMINDER_PLAN_INTERVAL. Several such processes (gunicorn
workers) may each run one: the sweep is safe to run concurrently.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

_started = threading.Event()


def is_serving_process(argv: list[str], environ: dict[str, str]) -> bool:
    """True in the process that serves requests: runserver's autoreloaded child (or runserver
    without the reloader) and gunicorn; never in tests, migrations or other commands."""
    program = os.path.basename(argv[0]) if argv else ""
    if "gunicorn" in program:
        return True
    if len(argv) > 1 and argv[1] == "runserver":
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    return False


def run_once(*, plan: bool = False) -> None:
    """One round: (optionally) plan the periodic reminders, sweep, relay the outbox."""
    from . import delivery, mail, reminders

    if plan:
        reminders.plan_periodic_reminders()
    delivery.sweep()
    mail.relay_outbox()


def _loop(interval: float, plan_interval: float) -> None:
    time.sleep(min(interval, 5))  # let the server finish starting
    last_planned = float("-inf")
    while True:
        try:
            plan = time.monotonic() - last_planned >= plan_interval
            run_once(plan=plan)
            if plan:
                last_planned = time.monotonic()
        except Exception:
            logger.exception("In-process reminder sweep failed; trying again in %s s", interval)
        finally:
            connection.close()  # a fresh one next round: no stale connection between rounds
        time.sleep(interval)


def start() -> threading.Thread | None:
    """Start the timer thread once per process."""
    if _started.is_set():
        return None
    _started.set()
    interval = settings.REMINDER_SWEEP_INTERVAL
    thread = threading.Thread(
        target=_loop,
        args=(interval, settings.REMINDER_PLAN_INTERVAL),
        name="reminder-sweep",
        daemon=True,
    )
    thread.start()
    logger.info("Reminders: sweeping in this process every %s s (no Redis)", interval)
    return thread


def start_if_serving() -> None:
    if settings.REMINDERS_IN_PROCESS and is_serving_process(sys.argv, dict(os.environ)):
        start()

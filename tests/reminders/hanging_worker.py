"""The Celery app for the crash drill: the real one, but its delivery hangs after
KUUSIKKO_HANG_AFTER messages, inside the transaction of the next one (its message written, not
committed), and writes that reminder's id to KUUSIKKO_HANG_MARKER. The drill then SIGKILLs the
worker at a known point in the middle of a batch.

Used as `celery -A tests.reminders.hanging_worker worker`; nothing in the project imports it.
"""

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from config.celery import app

__all__ = ["app"]

HANG_AFTER = int(os.environ.get("KUUSIKKO_HANG_AFTER", "0"))
MARKER = Path(os.environ.get("KUUSIKKO_HANG_MARKER", "hang-marker"))
_installed = False


@task_prerun.connect
def _install_hang(**kwargs) -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from advocacy import delivery

    write_message = delivery.write_message
    written = 0

    def write_then_hang(reminder, message, *, now):
        nonlocal written
        write_message(reminder, message, now=now)
        written += 1
        if written > HANG_AFTER:
            MARKER.write_text(str(reminder.pk))
            time.sleep(3600)

    delivery.write_message = write_then_hang

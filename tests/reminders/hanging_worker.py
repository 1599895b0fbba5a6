"""The Celery app for the crash drill: the real one, but its delivery hangs after making
KUUSIKKO_HANG_AFTER messages, inside the transaction of the batch it is working on (its row
locks held, nothing of it committed), and writes the reminder's id to KUUSIKKO_HANG_MARKER.
The drill then SIGKILLs the worker at a known point in the middle of a batch.

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

    message_row = delivery.message_row
    made = 0

    def make_then_hang(reminder, message, *, now):
        nonlocal made
        made += 1
        if made > HANG_AFTER:
            MARKER.write_text(str(reminder.pk))
            time.sleep(3600)
        return message_row(reminder, message, now=now)

    delivery.message_row = make_then_hang

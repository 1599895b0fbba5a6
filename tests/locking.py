"""Two transactions at once, for tests of row locks (transactional tests only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction


def assert_waits_for_lock(
    *,
    hold: Callable[[], Any],
    waiter: Callable[[], None],
    finish: Callable[[Any], None] = lambda _held: None,
    message: str,
) -> None:
    """In one thread, a transaction runs `hold()` and keeps its locks; meanwhile another
    thread runs `waiter()`, which must still be waiting half a second later (`message` if
    not). Then the first goes on with `finish(what hold returned)` and commits, and both
    threads are waited for. Each thread has its own database connection, closed at its end."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                state = hold()
                held.set()
                release.wait(10)
                finish(state)
        finally:
            connection.close()

    def waiting() -> None:
        try:
            waiter()
        finally:
            connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert held.wait(10), "the first transaction did not take its locks"
    second = threading.Thread(target=waiting)
    second.start()
    second.join(0.5)
    assert second.is_alive(), message
    release.set()
    first.join(10)
    second.join(10)

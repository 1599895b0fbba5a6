"""Fixtures of the reminder tests. The drills with a real Redis and real Celery workers have
theirs in `tests/reminders/drills.py`."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from config.celery import app as celery_app
from tests.factories import MeetingFactory, UserFactory

# The drills' fixtures: a private Redis, Celery workers and beat as subprocesses.
from .drills import drill, real_broker  # noqa: F401

HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki(*args) -> datetime.datetime:
    """An aware datetime given in Helsinki wall-clock time."""
    return datetime.datetime(*args, tzinfo=HELSINKI)


@pytest.fixture
def eager_celery():
    """Run tasks inline, as without REDIS_URL, even where the suite runs with one (CI): a test
    must not leave messages in a shared broker."""
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = saved


@pytest.fixture
def now(time_machine):
    """The reminder tests' clock (instead of the suite's): it stands still at Monday 23 March
    2026, 10:00 in Helsinki, winter time, a week before summer time begins."""
    moment = helsinki(2026, 3, 23, 10, 0)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def staff(db):
    """A staff member who reads English (the suite's `staff` reads Finnish): the tests compare
    English texts, the Finnish catalogue comes later."""
    return UserFactory(staff=True, language="en")


@pytest.fixture
def meeting(staff):
    return MeetingFactory(author=staff)

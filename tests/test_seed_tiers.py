"""`seed_demo --tier` and `--due-reminders` (issue 8). The tiers themselves are seeded by
`make bench`, not here: the suite stays fast."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from advocacy.management.commands.seed_demo import TIERS
from advocacy.models import Channel, Reminder, ReminderState

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_tiers_have_the_sizes_of_the_issue():
    assert TIERS["S"]["contacts"] == 5_000 and TIERS["S"]["meetings"] == 10_000
    assert TIERS["M"]["contacts"] == 100_000 and TIERS["M"]["meetings"] == 500_000
    assert TIERS["L"] == {
        "contacts": 1_000_000,
        "organisations": 100_000,
        "meetings": 5_000_000,
        "due_reminders": 50_000,
    }


def test_due_reminders_are_pending_and_due_now():
    before = Reminder.objects.filter(key__startswith="due-now-").count()
    call_command("seed_demo", contacts=60, meetings=200, due_reminders=25, stdout=StringIO())

    due_now = Reminder.objects.filter(key__startswith="due-now-")
    assert before == 0
    assert due_now.count() == 25
    assert set(due_now.values_list("state", "channel").distinct()) == {
        (ReminderState.PENDING, Channel.EMAIL)
    }
    assert not due_now.filter(due_at__gt=timezone.now()).exists()

"""The benchmark (bench/, `make bench`): its hello views exist only when BENCH is on, a rerun
keeps the hand-written part of its report, and a run removes the meetings it logged."""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy.models import FollowUp, Meeting, Reminder
from bench import views
from bench.scenarios import BENCH_USER, LOGGED_TITLE, remove_logged_meetings
from tests.factories import ContactFactory, MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_bench_urls_are_off_by_default(client):
    assert client.get("/bench/hello/django/").status_code == 404


def test_the_django_hello_view_says_hello():
    response = views.django_hello(RequestFactory().get("/"))

    assert response.status_code == 200
    assert response.content == b'{"hello": "world"}'


def test_a_rerun_of_the_benchmark_keeps_the_hand_written_sections(tmp_path):
    from bench.run import kept_section

    report = tmp_path / "BENCHMARKS.md"
    report.write_text(
        "# Benchmarks\n\n| old table |\n\n## Data tiers\n\nSeed times.\n\n"
        "## Worker start-up and memory\n\nNotes.\n"
    )

    kept = kept_section(report, "## Data tiers")

    assert kept == "## Data tiers\n\nSeed times.\n\n## Worker start-up and memory\n\nNotes.\n"
    assert kept_section(report, "## Missing") == ""


def test_the_meetings_the_benchmark_logged_are_removed_after_the_run():
    # Left in place, they became the newest meetings of the first contacts, the contact
    # timeline's among them: each run measured other data.
    user = UserFactory(username=BENCH_USER, trustee=True)
    person = ContactFactory()
    earlier = timezone.now() - datetime.timedelta(days=30)
    kept = MeetingFactory(author=user, contacts=[person], occurred_at=earlier)
    client = APIClient()
    client.force_authenticate(user)
    for _ in range(2):
        response = client.post(
            "/api/v1/meetings/",
            {
                "title": LOGGED_TITLE,
                "occurred_at": timezone.now().isoformat(),
                "contacts": [person.pk],
                "follow_ups": [
                    {
                        "description": "Jatkotoimi",
                        "assignee": user.pk,
                        "due_date": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
                    }
                ],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
    person.refresh_from_db()
    assert person.last_interaction_at > earlier
    assert Reminder.objects.filter(follow_up__meeting__title=LOGGED_TITLE).exists()

    assert remove_logged_meetings() == 2

    assert list(Meeting.objects.all()) == [kept]
    assert not FollowUp.objects.exists()
    assert not Reminder.objects.exists()
    person.refresh_from_db()
    assert person.last_interaction_at == earlier

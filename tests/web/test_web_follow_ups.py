"""My follow-ups: open, overdue and done; mark done (also inline with htmx), re-date, reassign;
notifications with their unread count."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import FollowUpStatus, Notification, ReminderKind


@pytest.fixture
def follow_ups(trustee):
    today = timezone.localdate()
    meeting = services.log_meeting(
        author=trustee,
        title="Palaveri",
        follow_ups=[
            services.NewFollowUp(
                description="Myöhässä oleva",
                assignee=trustee,
                due_date=today - datetime.timedelta(1),
            ),
            services.NewFollowUp(
                description="Tuleva tehtävä",
                assignee=trustee,
                due_date=today + datetime.timedelta(5),
            ),
        ],
    )
    overdue, upcoming = meeting.follow_ups.order_by("due_date")
    return overdue, upcoming


def test_tabs_show_open_overdue_and_done(follow_ups, trustee, signed_in):
    overdue, upcoming = follow_ups
    services.complete_follow_up(follow_up=upcoming, by=trustee)
    client = signed_in(trustee)
    url = reverse("advocacy:follow_up_list")

    def shown(show):
        return [f.pk for f in client.get(url, {"show": show}).context["page"].object_list]

    assert shown("open") == [overdue.pk]
    assert shown("overdue") == [overdue.pk]
    assert shown("done") == [upcoming.pk]


def test_an_open_row_posts_to_its_own_complete_url_with_and_without_htmx(
    follow_ups, trustee, signed_in
):
    overdue, upcoming = follow_ups
    page = signed_in(trustee).get(reverse("advocacy:follow_up_list")).content.decode()
    for follow_up in (overdue, upcoming):
        complete = reverse("advocacy:follow_up_complete", args=[follow_up.pk])
        assert f'action="{complete}"' in page
        assert f'hx-post="{complete}"' in page


def test_mark_done_inline_returns_the_updated_row(follow_ups, trustee, signed_in):
    overdue, _ = follow_ups
    response = signed_in(trustee).post(
        reverse("advocacy:follow_up_complete", args=[overdue.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="follow-up-{overdue.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    overdue.refresh_from_db()
    assert overdue.status == FollowUpStatus.DONE
    assert overdue.completed_by == trustee


def test_mark_done_with_a_note_without_javascript(follow_ups, trustee, signed_in):
    overdue, _ = follow_ups
    response = signed_in(trustee).post(
        reverse("advocacy:follow_up_complete", args=[overdue.pk]), {"note": "Hoidettu puhelimessa"}
    )
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.completion_note == "Hoidettu puhelimessa"


def test_redate_and_reassign(follow_ups, trustee, make_user, signed_in):
    _, upcoming = follow_ups
    colleague = make_user()
    response = signed_in(trustee).post(
        reverse("advocacy:follow_up_detail", args=[upcoming.pk]),
        {"description": "Tuleva tehtävä", "assignee": colleague.pk, "due_date": "2027-01-15"},
    )
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.assignee == colleague
    assert upcoming.due_date == datetime.date(2027, 1, 15)


def test_someone_else_may_not_change_my_follow_up(follow_ups, other_trustee, signed_in):
    _, upcoming = follow_ups
    response = signed_in(other_trustee).post(
        reverse("advocacy:follow_up_detail", args=[upcoming.pk]),
        {"description": "Kaapattu", "assignee": other_trustee.pk, "due_date": "2027-01-15"},
    )
    assert response.status_code == 403
    upcoming.refresh_from_db()
    assert upcoming.description == "Tuleva tehtävä"


def test_follow_up_assigned_to_me_shows_on_my_dashboard(trustee, make_user, signed_in):
    colleague = make_user()
    services.log_meeting(
        author=colleague,
        title="Kollegan palaveri",
        follow_ups=[
            services.NewFollowUp(
                description="Minulle annettu tehtävä",
                assignee=trustee,
                due_date=timezone.localdate(),
            )
        ],
    )
    html = signed_in(trustee).get(reverse("advocacy:dashboard")).content.decode()
    assert "Minulle annettu tehtävä" in html
    assert "Kollegan palaveri" in html


def test_notifications_are_listed_and_marked_read(trustee, other_trustee, signed_in):
    mine = Notification.objects.create(
        recipient=trustee, kind=ReminderKind.FOLLOW_UP_DUE, subject="Oma", url="/follow-ups/"
    )
    Notification.objects.create(
        recipient=trustee, kind=ReminderKind.WEEKLY_DIGEST, subject="Toinen"
    )
    Notification.objects.create(
        recipient=other_trustee, kind=ReminderKind.WEEKLY_DIGEST, subject="Vieras"
    )
    client = signed_in(trustee)
    response = client.get(reverse("advocacy:notification_list"))
    html = response.content.decode()
    assert "Oma" in html and "Toinen" in html and "Vieras" not in html
    assert '<span class="badge">2<' in html

    response = client.post(reverse("advocacy:notification_read", args=[mine.pk]), {"open": "1"})
    assert response.url == "/follow-ups/"
    mine.refresh_from_db()
    assert mine.read_at is not None

    client.post(reverse("advocacy:notifications_read_all"))
    assert not Notification.objects.filter(recipient=trustee, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_trustee, read_at__isnull=True).exists()


def test_someone_elses_notification_cannot_be_marked(trustee, other_trustee, signed_in):
    theirs = Notification.objects.create(
        recipient=other_trustee, kind=ReminderKind.WEEKLY_DIGEST, subject="Vieras"
    )
    url = reverse("advocacy:notification_read", args=[theirs.pk])
    assert signed_in(trustee).post(url).status_code == 404


def test_notification_link_never_leaves_the_site(trustee, signed_in):
    notification = Notification.objects.create(
        recipient=trustee, kind=ReminderKind.WEEKLY_DIGEST, subject="Ulos", url="//evil.example/"
    )
    response = signed_in(trustee).post(
        reverse("advocacy:notification_read", args=[notification.pk]), {"open": "1"}
    )
    assert response.url == reverse("advocacy:notification_list")

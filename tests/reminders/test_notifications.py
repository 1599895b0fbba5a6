"""In-app notifications: unread count and list per user, mark one or all read."""

import pytest
from django.core.exceptions import PermissionDenied

from advocacy import services
from advocacy.models import Notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def notify(user, subject="Follow-up due") -> Notification:
    return NotificationFactory(recipient=user, subject=subject)


def test_unread_count_and_list_are_per_user(staff):
    mine = [notify(staff, "one"), notify(staff, "two")]
    notify(UserFactory())

    assert Notification.objects.for_user(staff).unread().count() == 2
    assert list(Notification.objects.for_user(staff)) == mine[::-1]  # newest first


def test_marking_a_notification_read_twice_keeps_the_first_time(staff, now, time_machine):
    notification = notify(staff)

    services.mark_notification_read(notification=notification, by=staff)
    time_machine.shift(60)
    again = services.mark_notification_read(notification=notification, by=staff)

    assert again.read_at == now
    assert Notification.objects.for_user(staff).unread().count() == 0


def test_nobody_marks_another_users_notification_read(staff):
    notification = notify(staff)
    with pytest.raises(PermissionDenied):
        services.mark_notification_read(notification=notification, by=UserFactory())
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_notifications_read_touches_only_the_users_unread_notifications(staff, now):
    notify(staff), notify(staff)
    others = notify(UserFactory())

    assert services.mark_all_notifications_read(user=staff) == 2
    assert services.mark_all_notifications_read(user=staff) == 0
    others.refresh_from_db()
    assert others.read_at is None

"""Operations in the admin: reminder state, attempts and errors; retrying what failed."""

import pytest
from django.urls import reverse

from advocacy import delivery
from advocacy.models import OutboxState, ReminderState
from tests.factories import OutboxEmailFactory, ReminderFactory, UserFactory

pytestmark = pytest.mark.django_db

REMINDERS = reverse("admin:advocacy_reminder_changelist")
OUTBOX = reverse("admin:advocacy_outboxemail_changelist")


@pytest.fixture
def superuser(db):
    # English admin pages: the assertions below read the English messages.
    return UserFactory(admin=True, is_staff=True, is_superuser=True, language="en")


@pytest.fixture
def failed(now):
    return ReminderFactory(
        state=ReminderState.FAILED, attempts=5, last_error="SMTPServerDisconnected: gone"
    )


def test_the_reminder_list_shows_state_attempts_and_the_error(client, superuser, failed):
    client.force_login(superuser)

    page = client.get(REMINDERS).content.decode()

    assert "SMTPServerDisconnected: gone" in page
    assert "failed" in page
    detail = client.get(reverse("admin:advocacy_reminder_change", args=[failed.pk]))
    assert detail.status_code == 200
    assert "SMTPServerDisconnected: gone" in detail.content.decode()


def test_an_administrator_retries_failed_reminders_and_the_next_sweep_sends_them(
    client, superuser, failed
):
    client.force_login(superuser)
    sent = ReminderFactory(state=ReminderState.SENT, sent_at=failed.due_at)

    response = client.post(
        REMINDERS, {"action": "retry", "_selected_action": [failed.pk, sent.pk]}, follow=True
    )

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (ReminderState.PENDING, 0)
    page = response.content.decode()
    assert "1 reminder will be sent again by the next sweep." in page
    assert "Only a failed reminder can be retried." in page
    assert delivery.sweep().sent == 1


def test_staff_without_the_administrator_role_cannot_retry(client, failed):
    coordinator = UserFactory(coordinator=True, is_staff=True)
    failed.recipient = coordinator
    failed.save()
    client.force_login(coordinator)

    client.post(REMINDERS, {"action": "retry", "_selected_action": [failed.pk]})

    failed.refresh_from_db()
    assert failed.state == ReminderState.FAILED


def test_a_failed_email_is_sent_again_from_the_admin(client, superuser):
    email = OutboxEmailFactory(state=OutboxState.FAILED, attempts=8, last_error="550 No such user")
    client.force_login(superuser)

    assert "550 No such user" in client.get(OUTBOX).content.decode()
    client.post(OUTBOX, {"action": "retry", "_selected_action": [email.pk]})

    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboxState.QUEUED, 0)

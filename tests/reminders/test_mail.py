"""The outbox relay: queued e-mail goes out over Django's e-mail framework, retried on failure;
the one at-least-once step."""

import datetime
import smtplib

import pytest
from django.core import mail as django_mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from advocacy import mail
from advocacy.models import OutboxEmail, OutboxState
from tests.factories import OutboxEmailFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(now):
    user = UserFactory()
    return [
        OutboxEmailFactory(
            recipient=user,
            to_address=f"person{i}@kunta.example.fi",
            subject=f"Reminder {i}",
            body_text=f"Text {i}",
            body_html=f"<p>HTML {i}</p>",
        )
        for i in range(3)
    ]


def test_relay_sends_queued_email_with_html_and_marks_it_sent(queued, now, settings):
    settings.DEFAULT_FROM_EMAIL = "Kuusikko <kuusikko@savogrow.example.fi>"

    report = mail.relay_outbox()

    assert report.sent == 3
    assert len(django_mail.outbox) == 3
    first = django_mail.outbox[0]
    assert first.to == ["person0@kunta.example.fi"]
    assert first.from_email == "Kuusikko <kuusikko@savogrow.example.fi>"
    assert first.body == "Text 0"
    assert first.alternatives[0][0] == "<p>HTML 0</p>"
    assert first.extra_headers["Auto-Submitted"] == "auto-generated"
    assert set(OutboxEmail.objects.values_list("state", flat=True)) == {OutboxState.SENT}
    assert mail.relay_outbox().sent == 0
    assert len(django_mail.outbox) == 3


def test_a_leased_email_is_not_taken_by_a_second_relay(queued):
    first = mail.lease_queued(limit=10)
    second = mail.lease_queued(limit=10)
    assert len(first) == 3 and second == []


class FailingBackend:
    """An e-mail backend whose server refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.fi": (550, b"No such user")})


def test_a_refused_email_is_retried_later_and_fails_after_the_last_attempt(
    queued, now, time_machine, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 2

    assert mail.relay_outbox().retried == 3
    email = OutboxEmail.objects.get(pk=queued[0].pk)
    assert email.state == OutboxState.QUEUED
    assert email.attempts == 1
    assert "SMTPRecipientsRefused" in email.last_error
    assert email.next_attempt_at == now + datetime.timedelta(minutes=1)

    time_machine.move_to(now + datetime.timedelta(minutes=1), tick=False)
    assert mail.relay_outbox().failed == 3
    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboxState.FAILED, 2)

    assert mail.requeue(email)
    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboxState.QUEUED, 0)


def test_a_relay_that_dies_after_the_server_accepted_sends_again_with_the_same_message_id(
    queued, now, time_machine, monkeypatch, settings
):
    settings.OUTBOX_LEASE = 300

    def crash(email_ids):
        raise SystemExit("killed between SMTP OK and the mark")

    with monkeypatch.context() as patch:
        patch.setattr(mail, "_mark_sent", crash)
        with pytest.raises(SystemExit):
            mail.relay_outbox()
    assert len(django_mail.outbox) == 3  # the server took the batch, the marks were lost
    assert mail.relay_outbox().sent == 0  # the crashed relay's batch is still leased

    time_machine.move_to(now + datetime.timedelta(seconds=300), tick=False)
    assert mail.relay_outbox().sent == 3

    for email in queued:
        copies = [m for m in django_mail.outbox if m.subject == email.subject]
        assert len(copies) == 2
        assert copies[0].extra_headers["Message-ID"] == copies[1].extra_headers["Message-ID"]
    assert set(OutboxEmail.objects.values_list("state", flat=True)) == {OutboxState.SENT}


class RefusingOneBackend(LocmemBackend):
    """A server that refuses one address and takes the rest."""

    def send_messages(self, messages):
        if any("refused" in address for m in messages for address in m.to):
            raise smtplib.SMTPRecipientsRefused({"refused@example.fi": (550, b"No such user")})
        return super().send_messages(messages)


def test_a_refused_email_does_not_stop_the_rest_of_its_batch(queued, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingOneBackend"
    OutboxEmail.objects.filter(pk=queued[1].pk).update(to_address="refused@example.fi")

    report = mail.relay_outbox()

    assert (report.sent, report.retried) == (2, 1)
    states = dict(OutboxEmail.objects.values_list("pk", "state"))
    assert states == {
        queued[0].pk: OutboxState.SENT,
        queued[1].pk: OutboxState.QUEUED,
        queued[2].pk: OutboxState.SENT,
    }


@pytest.mark.parametrize("count", [1, 10])
def test_relaying_a_batch_takes_the_same_queries_for_one_email_or_many(
    count, django_assert_num_queries
):
    OutboxEmailFactory.create_batch(count)
    # 1 SAVEPOINT (the lease's transaction, inside the test's)
    # 2 SELECT ... FOR UPDATE SKIP LOCKED the queued e-mails whose time has come
    # 3 UPDATE their lease and attempts
    # 4 RELEASE SAVEPOINT
    # 5 UPDATE the sent ones to sent, once for the batch
    with django_assert_num_queries(5):
        assert mail.relay_outbox(batch_size=50).sent == count
    assert len(django_mail.outbox) == count

"""What the reminders say: in the recipient's language, with a link straight to the item; the
weekly digest's content; the stale-contact alerts and the coordinator's summary."""

import datetime

import pytest

from advocacy import delivery, reminders
from advocacy.messages import compose, gather_digest
from advocacy.models import (
    Channel,
    Notification,
    OutboxEmail,
    Reminder,
    ReminderKind,
    ReminderState,
    Visibility,
)
from crm.models import InfluenceLevel
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    MeetingFactory,
    ReminderFactory,
    TopicFactory,
    UserFactory,
)

from .conftest import helsinki

pytestmark = pytest.mark.django_db


def email_of(reminder: Reminder) -> OutboxEmail:
    delivery.deliver(delivery.claim_due(limit=100))
    return OutboxEmail.objects.get(reminder=reminder)


@pytest.mark.parametrize(
    ("language", "due", "lang_attribute"),
    [("fi", "30. maaliskuuta 2026", 'lang="fi"'), ("en", "March 30, 2026", 'lang="en"')],
)
def test_email_is_written_in_the_recipients_language(now, language, due, lang_attribute):
    user = UserFactory(language=language)
    follow_up = FollowUpFactory(
        assignee=user, due_date=datetime.date(2026, 3, 30), meeting=MeetingFactory(author=user)
    )
    reminder = ReminderFactory(follow_up=follow_up, recipient=user, channel=Channel.EMAIL)

    email = email_of(reminder)

    assert lang_attribute in email.body_html
    assert due in email.body_text and due in email.body_html
    assert follow_up.description in email.body_text


def test_email_links_straight_to_the_follow_up_on_the_configured_site(now, settings):
    settings.SITE_URL = "https://kuusikko.example.fi/"
    reminder = ReminderFactory(channel=Channel.EMAIL)
    email = email_of(reminder)
    link = f"https://kuusikko.example.fi/follow-ups/{reminder.follow_up_id}/"
    assert f"Open in Kuusikko: {link}" in email.body_text or link in email.body_text
    assert f'href="{link}"' in email.body_html


def test_text_email_is_not_html_escaped(now):
    follow_up = FollowUpFactory(description='Ask about "R&D" funds <soon>')
    reminder = ReminderFactory(follow_up=follow_up, recipient=follow_up.assignee)
    email = email_of(reminder)
    assert 'Ask about "R&D" funds <soon>' in email.body_text
    assert "Ask about &quot;R&amp;D&quot; funds &lt;soon&gt;" in email.body_html


def test_escalation_tells_the_coordinator_whose_follow_up_is_how_late(now):
    coordinator = UserFactory(coordinator=True, language="en")
    assignee = UserFactory(first_name="Aino", last_name="Virtanen")
    follow_up = FollowUpFactory(
        assignee=assignee, due_date=datetime.date(2026, 3, 20), description="Call the MP"
    )
    reminder = ReminderFactory(
        kind=ReminderKind.ESCALATION, follow_up=follow_up, recipient=coordinator
    )

    message = compose(reminder)

    assert message.subject == "Overdue follow-up of Aino Virtanen: Call the MP"
    assert message.summary == (
        "Aino Virtanen's follow-up was due on March 20, 2026 and has been overdue for 3 days."
    )
    assert message.path == f"/follow-ups/{follow_up.pk}/"


def test_overdue_reminder_names_the_date_it_was_due(now):
    follow_up = FollowUpFactory(due_date=datetime.date(2026, 3, 22))
    follow_up.assignee.language = "en"
    reminder = ReminderFactory(
        kind=ReminderKind.FOLLOW_UP_OVERDUE, follow_up=follow_up, recipient=follow_up.assignee
    )
    message = compose(reminder)
    assert message.summary == "This follow-up of yours was due on March 22, 2026 and is still open."


# --- Weekly digest ---------------------------------------------------------------------------


@pytest.fixture
def digest_world(now, staff):
    """The staff member owns a topic and a relationship; colleagues logged meetings this week."""
    colleague = UserFactory(trustee=True)
    topic = TopicFactory(owner=staff, name="Transport links")
    contact = ContactFactory(relationship_owners=[staff], last_name="Kansanedustaja")
    this_week = now - datetime.timedelta(days=2)
    world = {
        "overdue": FollowUpFactory(
            assignee=staff, due_date=datetime.date(2026, 3, 20), description="Overdue memo"
        ),
        "open": FollowUpFactory(
            assignee=staff, due_date=datetime.date(2026, 3, 27), description="Open memo"
        ),
        "done": FollowUpFactory(
            assignee=staff, description="Done memo", status="done", completed_at=now
        ),
        "someone_elses": FollowUpFactory(description="Not mine"),
        "on_topic": MeetingFactory(author=colleague, title="Rail meeting", occurred_at=this_week),
        "with_contact": MeetingFactory(
            author=colleague, title="Coffee with the MP", occurred_at=this_week
        ),
        "my_own": MeetingFactory(author=staff, title="My own meeting", occurred_at=this_week),
        "last_month": MeetingFactory(
            author=colleague, title="Old meeting", occurred_at=now - datetime.timedelta(days=30)
        ),
        "restricted": MeetingFactory(
            author=colleague,
            title="Secret meeting",
            occurred_at=this_week,
            visibility=Visibility.RESTRICTED,
        ),
        "unrelated": MeetingFactory(author=colleague, title="Unrelated", occurred_at=this_week),
    }
    for key in ("on_topic", "my_own", "last_month", "restricted"):
        world[key].topics.add(topic)
    world["with_contact"].contacts.add(contact)
    return world


def test_digest_gathers_open_and_overdue_follow_ups_and_others_meetings_on_my_things(
    now, staff, digest_world
):
    digest = gather_digest(staff, now=now)

    assert digest.overdue == [digest_world["overdue"]]
    assert digest.open == [digest_world["open"]]
    assert {m.title for m in digest.meetings} == {"Rail meeting", "Coffee with the MP"}


def test_digest_email_lists_everything_with_links(now, staff, digest_world, settings):
    settings.SITE_URL = "https://k.example.fi"
    reminder = ReminderFactory(
        kind=ReminderKind.WEEKLY_DIGEST, follow_up=None, recipient=staff, key="week:2026-W13"
    )

    email = email_of(reminder)

    assert email.subject == (
        "Your week in Kuusikko: 2 open follow-ups, 1 overdue, "
        "2 new meetings on your topics and contacts"
    )
    text = email.body_text
    assert text.index("Overdue follow-ups") < text.index("Overdue memo") < text.index("Open memo")
    for title in ("Rail meeting", "Coffee with the MP"):
        assert title in text and title in email.body_html
    for absent in ("Done memo", "Not mine", "My own meeting", "Old meeting", "Secret meeting"):
        assert absent not in text
    assert f"https://k.example.fi/meetings/{digest_world['on_topic'].pk}/" in text
    assert f"https://k.example.fi/follow-ups/{digest_world['overdue'].pk}/" in email.body_html


def test_an_empty_digest_is_not_sent(now, staff):
    reminder = ReminderFactory(
        kind=ReminderKind.WEEKLY_DIGEST, follow_up=None, recipient=staff, channel=Channel.IN_APP
    )
    report = delivery.sweep()
    reminder.refresh_from_db()
    assert report.cancelled == 1
    assert reminder.state == ReminderState.CANCELLED
    assert not Notification.objects.exists()


# --- Decision-makers not met lately ----------------------------------------------------------


def test_stale_alert_and_summary_name_the_person_and_the_owners(now, coordinator, settings):
    settings.SITE_URL = "https://k.example.fi"
    owner = UserFactory(staff=True, first_name="Olli", last_name="Omistaja", language="en")
    contact = ContactFactory(
        first_name="Maria",
        last_name="Ministeri",
        is_decision_maker=True,
        influence_level=InfluenceLevel.KEY,
        relationship_owners=[owner],
    )
    type(contact).objects.filter(pk=contact.pk).update(
        last_interaction_at=now - datetime.timedelta(days=70)
    )
    reminders.plan_stale_contact_alerts()
    Reminder.objects.update(due_at=now)

    delivery.sweep()

    alert = Notification.objects.get(recipient=owner)
    assert alert.subject == "Not met in 70 days: Maria Ministeri"
    assert alert.body == "Nobody has met Maria Ministeri since Jan. 12, 2026."
    assert alert.url == f"/contacts/{contact.pk}/"
    summary = OutboxEmail.objects.get(recipient=coordinator)
    assert "Maria Ministeri" in summary.body_text
    assert "Olli Omistaja" in summary.body_text
    assert f"https://k.example.fi/contacts/{contact.pk}/" in summary.body_html


def test_a_stale_alert_for_someone_met_meanwhile_is_cancelled(now):
    owner = UserFactory(staff=True)
    contact = ContactFactory(is_decision_maker=True, relationship_owners=[owner])
    reminder = ReminderFactory(
        kind=ReminderKind.STALE_CONTACT, follow_up=None, contact=contact, recipient=owner
    )
    type(contact).objects.filter(pk=contact.pk).update(last_interaction_at=now)

    delivery.sweep()

    reminder.refresh_from_db()
    assert reminder.state == ReminderState.CANCELLED


def test_follow_up_due_today_says_so(now, time_machine):
    follow_up = FollowUpFactory(due_date=datetime.date(2026, 3, 23))
    follow_up.assignee.language = "en"
    reminder = ReminderFactory(follow_up=follow_up, recipient=follow_up.assignee)
    time_machine.move_to(helsinki(2026, 3, 23, 9, 0), tick=False)
    assert compose(reminder).subject == f"Follow-up due today: {follow_up.description}"


def test_a_due_reminder_delivered_after_the_due_date_says_the_follow_up_is_overdue(now):
    follow_up = FollowUpFactory(due_date=datetime.date(2026, 3, 20))
    follow_up.assignee.language = "en"
    reminder = ReminderFactory(follow_up=follow_up, recipient=follow_up.assignee)
    assert compose(reminder).subject == f"Overdue follow-up: {follow_up.description}"

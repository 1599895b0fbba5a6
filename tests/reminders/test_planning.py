"""Which reminders exist: created with a follow-up, moved on re-dating, cancelled on closing;
weekly digests; decision-makers not met lately."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from advocacy import reminders, services
from advocacy.models import Channel, Reminder, ReminderKind, ReminderState, Weekday
from advocacy.services import NewFollowUp
from crm.models import InfluenceLevel
from tests.factories import ContactFactory, UserFactory

from .conftest import helsinki

pytestmark = pytest.mark.django_db

BOTH = {Channel.EMAIL, Channel.IN_APP}


def plan_of(follow_up, state=ReminderState.PENDING) -> set[tuple]:
    """(kind, recipient, channel, Helsinki due time) of the follow-up's reminders in `state`."""
    return {
        (r.kind, r.recipient_id, r.channel, r.due_at.astimezone(helsinki(2026, 1, 1).tzinfo))
        for r in follow_up.reminders.filter(state=state)
    }


def expected(kind, user, due_at, channels=BOTH) -> set[tuple]:
    return {(kind, user.pk, channel, due_at) for channel in channels}


# --- Follow-ups ------------------------------------------------------------------------------


def test_new_follow_up_is_reminded_the_day_before_and_on_the_day_then_overdue_then_escalated(
    now, staff, coordinator, meeting
):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="Send the memo to the ministry",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )

    assert plan_of(follow_up) == (
        expected(ReminderKind.FOLLOW_UP_DUE, staff, helsinki(2026, 3, 30, 9, 0))
        | expected(ReminderKind.FOLLOW_UP_DUE, staff, helsinki(2026, 3, 31, 9, 0))
        | expected(ReminderKind.FOLLOW_UP_OVERDUE, staff, helsinki(2026, 4, 1, 9, 0))
        | expected(ReminderKind.ESCALATION, coordinator, helsinki(2026, 4, 3, 9, 0))
    )


def test_reminders_of_a_follow_up_due_after_the_spring_change_are_at_nine_summer_time(
    now, staff, meeting
):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 29),
    )
    times = sorted(
        r.due_at
        for r in follow_up.reminders.filter(kind=ReminderKind.FOLLOW_UP_DUE, channel=Channel.IN_APP)
    )
    assert times == [
        datetime.datetime(2026, 3, 28, 7, 0, tzinfo=datetime.UTC),  # Sat 09:00 UTC+2
        datetime.datetime(2026, 3, 29, 6, 0, tzinfo=datetime.UTC),  # Sun 09:00 UTC+3
    ]


def test_logging_a_meeting_plans_the_reminders_of_its_follow_ups(now, staff):
    colleague = UserFactory(trustee=True)
    meeting = services.log_meeting(
        author=staff,
        title="Transport links with the ministry",
        follow_ups=[
            NewFollowUp(description="Mine", assignee=staff, due_date=datetime.date(2026, 4, 2)),
            NewFollowUp(
                description="Theirs", assignee=colleague, due_date=datetime.date(2026, 4, 9)
            ),
        ],
    )
    mine, theirs = meeting.follow_ups.order_by("due_date")
    assert {r.recipient_id for r in mine.reminders.all()} == {staff.pk}
    assert {r.recipient_id for r in theirs.reminders.all()} == {colleague.pk}
    assert theirs.reminders.filter(kind=ReminderKind.FOLLOW_UP_DUE).count() == 4


def test_a_logged_meetings_follow_ups_get_the_reminders_one_added_alone_gets(
    now, staff, coordinator, meeting
):
    """log_meeting plans the reminders of all its follow-ups at once; the rows are the ones
    add_follow_up plans for each (channels, escalation to the coordinator but not to herself,
    times already past left out)."""
    specs = [
        NewFollowUp(description="Mine", assignee=staff, due_date=datetime.date(2026, 3, 31)),
        NewFollowUp(description="Today", assignee=staff, due_date=now.date()),
        NewFollowUp(description="Hers", assignee=coordinator, due_date=datetime.date(2026, 4, 9)),
    ]
    UserFactory(coordinator=True, is_active=False)  # no escalation to a closed account
    staff.email = ""
    staff.save()  # no e-mail address: in-app only

    logged = services.log_meeting(author=staff, title="Many at once", follow_ups=specs)
    alone = [
        services.add_follow_up(
            by=staff,
            meeting=meeting,
            description=spec.description,
            assignee=spec.assignee,
            due_date=spec.due_date,
        )
        for spec in specs
    ]

    planned_at_once = [plan_of(f) for f in logged.follow_ups.order_by("id")]
    assert planned_at_once == [plan_of(f) for f in alone]
    assert all(planned_at_once)
    assert {(r.key, r.state) for r in Reminder.objects.filter(follow_up__meeting=logged)} == {
        (r.key, r.state) for r in Reminder.objects.filter(follow_up__meeting=meeting)
    }


def test_times_already_past_are_not_planned(now, staff, coordinator, meeting):
    # Created at 10:00 on its due day: 09:00 today and yesterday have gone.
    follow_up = services.add_follow_up(
        by=staff, meeting=meeting, description="x", assignee=staff, due_date=now.date()
    )
    kinds = set(follow_up.reminders.values_list("kind", flat=True))
    assert kinds == {ReminderKind.FOLLOW_UP_OVERDUE, ReminderKind.ESCALATION}


def test_re_dating_cancels_the_old_pending_reminders_and_plans_new_ones(
    now, staff, coordinator, meeting
):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    old = plan_of(follow_up)

    services.update_follow_up(follow_up=follow_up, by=staff, due_date=datetime.date(2026, 4, 14))

    assert plan_of(follow_up, ReminderState.CANCELLED) == old
    assert plan_of(follow_up) == (
        expected(ReminderKind.FOLLOW_UP_DUE, staff, helsinki(2026, 4, 13, 9, 0))
        | expected(ReminderKind.FOLLOW_UP_DUE, staff, helsinki(2026, 4, 14, 9, 0))
        | expected(ReminderKind.FOLLOW_UP_OVERDUE, staff, helsinki(2026, 4, 15, 9, 0))
        | expected(ReminderKind.ESCALATION, coordinator, helsinki(2026, 4, 17, 9, 0))
    )


def test_re_dating_back_revives_the_cancelled_rows_instead_of_adding_more(now, staff, meeting):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    first = set(follow_up.reminders.values_list("pk", flat=True))
    services.update_follow_up(follow_up=follow_up, by=staff, due_date=datetime.date(2026, 4, 14))
    services.update_follow_up(follow_up=follow_up, by=staff, due_date=datetime.date(2026, 3, 31))

    pending = set(
        follow_up.reminders.filter(state=ReminderState.PENDING).values_list("pk", flat=True)
    )
    assert pending == first
    assert follow_up.reminders.count() == 2 * len(first)


def test_a_reminder_already_sent_stays_sent_and_the_new_date_is_reminded_again(
    now, time_machine, staff, meeting
):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 25),
    )
    day_before = follow_up.reminders.get(
        kind=ReminderKind.FOLLOW_UP_DUE, channel=Channel.IN_APP, key__startswith="due-1d"
    )
    Reminder.objects.filter(pk=day_before.pk).update(state=ReminderState.SENT, sent_at=now)

    services.update_follow_up(follow_up=follow_up, by=staff, due_date=datetime.date(2026, 3, 27))

    day_before.refresh_from_db()
    assert day_before.state == ReminderState.SENT
    assert follow_up.reminders.filter(
        kind=ReminderKind.FOLLOW_UP_DUE,
        channel=Channel.IN_APP,
        state=ReminderState.PENDING,
        due_at=helsinki(2026, 3, 26, 9, 0),
    ).exists()


def test_reassigning_moves_the_reminders_to_the_new_assignee(now, staff, coordinator, meeting):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    services.update_follow_up(follow_up=follow_up, by=staff, assignee=coordinator)

    pending = follow_up.reminders.filter(state=ReminderState.PENDING)
    assert set(pending.values_list("recipient_id", flat=True)) == {coordinator.pk}
    # The assignee is not escalated to about her own follow-up.
    assert not pending.filter(kind=ReminderKind.ESCALATION).exists()
    assert not follow_up.reminders.filter(recipient=staff, state=ReminderState.PENDING).exists()


@pytest.mark.parametrize("close", [services.complete_follow_up, services.cancel_follow_up])
def test_closing_a_follow_up_cancels_its_pending_reminders_and_keeps_the_sent(
    close, now, staff, coordinator, meeting
):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    sent = follow_up.reminders.first()
    Reminder.objects.filter(pk=sent.pk).update(state=ReminderState.SENT, sent_at=now)

    close(follow_up=follow_up, by=staff)

    states = dict(follow_up.reminders.values_list("pk", "state"))
    assert states.pop(sent.pk) == ReminderState.SENT
    assert set(states.values()) == {ReminderState.CANCELLED}


def test_lead_days_and_the_time_of_day_come_from_settings(now, settings, staff, meeting):
    settings.REMINDER_LEAD_DAYS = [3]
    settings.REMINDER_LOCAL_TIME = "07:30"
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 4, 2),
    )
    due = follow_up.reminders.filter(kind=ReminderKind.FOLLOW_UP_DUE)
    assert set(due.values_list("due_at", flat=True)) == {helsinki(2026, 3, 30, 7, 30)}
    assert set(due.values_list("key", flat=True)) == {"due-3d:2026-04-02"}


def test_planning_twice_plans_once(now, staff, coordinator, meeting):
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    before = follow_up.reminders.count()
    assert reminders.plan_follow_up_reminders(follow_up) == 0
    assert follow_up.reminders.count() == before


# --- Channels by preference ------------------------------------------------------------------


def test_each_user_gets_only_the_channels_chosen_for_the_kind(now, staff, meeting):
    services.update_notification_preferences(
        user=staff,
        by=staff,
        email_kinds=[ReminderKind.FOLLOW_UP_OVERDUE],
        in_app_kinds=[ReminderKind.FOLLOW_UP_DUE],
    )
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    assert set(follow_up.reminders.values_list("kind", "channel")) == {
        (ReminderKind.FOLLOW_UP_DUE, Channel.IN_APP),
        (ReminderKind.FOLLOW_UP_OVERDUE, Channel.EMAIL),
    }


def test_a_user_without_an_email_address_gets_in_app_reminders_only(now, meeting):
    trustee = UserFactory(trustee=True, email="")
    follow_up = services.add_follow_up(
        by=trustee,
        meeting=meeting,
        description="x",
        assignee=trustee,
        due_date=datetime.date(2026, 3, 31),
    )
    assert set(follow_up.reminders.values_list("channel", flat=True)) == {Channel.IN_APP}


def test_changing_preferences_cancels_unwanted_and_plans_newly_wanted_reminders(
    now, staff, meeting
):
    services.update_notification_preferences(user=staff, by=staff, email_kinds=[])
    follow_up = services.add_follow_up(
        by=staff,
        meeting=meeting,
        description="x",
        assignee=staff,
        due_date=datetime.date(2026, 3, 31),
    )
    in_app = set(follow_up.reminders.values_list("pk", flat=True))
    assert set(follow_up.reminders.values_list("channel", flat=True)) == {Channel.IN_APP}

    services.update_notification_preferences(
        user=staff, by=staff, email_kinds=list(ReminderKind.values), in_app_kinds=[]
    )

    assert set(follow_up.reminders.filter(pk__in=in_app).values_list("state", flat=True)) == {
        ReminderState.CANCELLED
    }
    assert set(
        follow_up.reminders.filter(state=ReminderState.PENDING).values_list("channel", flat=True)
    ) == {Channel.EMAIL}


def test_an_unknown_kind_or_weekday_is_refused(staff):
    with pytest.raises(ValidationError):
        services.update_notification_preferences(user=staff, by=staff, email_kinds=["gossip"])
    with pytest.raises(ValidationError):
        services.update_notification_preferences(user=staff, by=staff, digest_weekday=7)


def test_nobody_changes_another_users_notification_preferences(staff):
    with pytest.raises(PermissionDenied):
        services.update_notification_preferences(
            user=staff, by=UserFactory(staff=True), digest_weekday=Weekday.FRIDAY
        )


# --- Weekly digest ---------------------------------------------------------------------------


def test_weekly_digest_is_planned_on_each_users_day(now, staff, coordinator):
    services.update_notification_preferences(user=staff, by=staff, digest_weekday=Weekday.WEDNESDAY)
    reminders.plan_weekly_digests()

    digests = Reminder.objects.filter(kind=ReminderKind.WEEKLY_DIGEST, channel=Channel.EMAIL)
    by_user = {r.recipient_id: (r.due_at, r.key) for r in digests}
    assert by_user == {
        staff.pk: (helsinki(2026, 3, 25, 8, 0), "week:2026-W13"),
        # Monday's 08:00 has passed (it is 10:00): next Monday.
        coordinator.pk: (helsinki(2026, 3, 30, 8, 0), "week:2026-W14"),
    }


def test_weekly_digest_planning_is_idempotent_and_follows_a_new_weekday(now, staff):
    reminders.plan_weekly_digests()
    reminders.plan_weekly_digests()
    assert Reminder.objects.filter(recipient=staff, kind=ReminderKind.WEEKLY_DIGEST).count() == 2

    services.update_notification_preferences(user=staff, by=staff, digest_weekday=Weekday.FRIDAY)

    pending = Reminder.objects.filter(
        recipient=staff, kind=ReminderKind.WEEKLY_DIGEST, state=ReminderState.PENDING
    )
    assert set(pending.values_list("due_at", flat=True)) == {helsinki(2026, 3, 27, 8, 0)}


def test_a_digest_already_due_is_left_to_the_sweep(now, time_machine, staff):
    reminders.plan_weekly_digests()  # next Monday 08:00
    time_machine.move_to(helsinki(2026, 3, 30, 8, 0, 30), tick=False)
    reminders.plan_weekly_digests()  # now plans the week after, must not cancel this week's

    states = dict(
        Reminder.objects.filter(
            recipient=staff, kind=ReminderKind.WEEKLY_DIGEST, channel=Channel.EMAIL
        ).values_list("key", "state")
    )
    assert states == {
        "week:2026-W14": ReminderState.PENDING,
        "week:2026-W15": ReminderState.PENDING,
    }


# --- Decision-makers not met lately ----------------------------------------------------------


def decision_maker(*, owners, last_met_days_ago=None, created_days_ago=400, **fields):
    contact = ContactFactory(is_decision_maker=True, relationship_owners=owners, **fields)
    now = timezone.now()
    type(contact).objects.filter(pk=contact.pk).update(
        created_at=now - datetime.timedelta(days=created_days_ago),
        last_interaction_at=(
            None if last_met_days_ago is None else now - datetime.timedelta(days=last_met_days_ago)
        ),
    )
    contact.refresh_from_db()
    return contact


def test_decision_makers_are_stale_after_the_period_of_their_influence_level_or_their_own(now):
    owner = UserFactory(staff=True)
    high_unmet = decision_maker(
        owners=[owner], influence_level=InfluenceLevel.HIGH, last_met_days_ago=91
    )
    high_met = decision_maker(
        owners=[owner], influence_level=InfluenceLevel.HIGH, last_met_days_ago=89
    )
    own_period = decision_maker(
        owners=[owner],
        influence_level=InfluenceLevel.KEY,
        stale_after_days=200,
        last_met_days_ago=100,
    )
    never_met_old = decision_maker(owners=[owner], influence_level=InfluenceLevel.KEY)
    never_met_new = decision_maker(
        owners=[owner], influence_level=InfluenceLevel.KEY, created_days_ago=5
    )
    not_a_decision_maker = ContactFactory(is_decision_maker=False)
    archived = decision_maker(owners=[owner], last_met_days_ago=1000)
    archived.archive()

    stale = set(reminders.stale_decision_makers().values_list("pk", flat=True))

    assert stale == {high_unmet.pk, never_met_old.pk}
    assert not {high_met.pk, own_period.pk, never_met_new.pk, not_a_decision_maker.pk} & stale


def test_owners_are_alerted_once_and_the_coordinator_gets_a_weekly_summary(now, coordinator):
    owners = [UserFactory(staff=True), UserFactory(trustee=True)]
    contact = decision_maker(
        owners=owners, influence_level=InfluenceLevel.KEY, last_met_days_ago=61
    )

    reminders.plan_stale_contact_alerts()
    reminders.plan_stale_contact_alerts()

    alerts = Reminder.objects.filter(kind=ReminderKind.STALE_CONTACT, contact=contact)
    assert {(r.recipient_id, r.channel) for r in alerts} == {
        (owner.pk, channel) for owner in owners for channel in BOTH
    }
    assert {r.due_at for r in alerts} == {helsinki(2026, 3, 24, 9, 0)}  # 09:00 has passed today
    summary = Reminder.objects.filter(kind=ReminderKind.STALE_SUMMARY)
    assert {(r.recipient_id, r.due_at) for r in summary} == {
        (coordinator.pk, helsinki(2026, 3, 30, 8, 0))
    }


def test_logging_a_meeting_with_the_person_by_anyone_resets_the_clock(now, coordinator):
    owner = UserFactory(staff=True)
    contact = decision_maker(
        owners=[owner], influence_level=InfluenceLevel.KEY, last_met_days_ago=61
    )
    reminders.plan_stale_contact_alerts()
    assert Reminder.objects.filter(contact=contact, state=ReminderState.PENDING).count() == 2

    someone_else = UserFactory(trustee=True)
    services.log_meeting(author=someone_else, title="Coffee", contacts=[contact])
    reminders.plan_stale_contact_alerts()

    contact.refresh_from_db()
    assert contact.last_interaction_at == now
    assert set(Reminder.objects.filter(contact=contact).values_list("state", flat=True)) == {
        ReminderState.CANCELLED
    }
    # Nobody is stale any more: no summary is planned for the coordinator either.
    assert not Reminder.objects.filter(
        kind=ReminderKind.STALE_SUMMARY, state=ReminderState.PENDING
    ).exists()


def test_a_person_unmet_again_after_a_meeting_is_alerted_again(now, time_machine):
    owner = UserFactory(staff=True)
    contact = decision_maker(
        owners=[owner], influence_level=InfluenceLevel.KEY, last_met_days_ago=61
    )
    reminders.plan_stale_contact_alerts()
    Reminder.objects.filter(contact=contact).update(state=ReminderState.SENT, sent_at=now)
    services.log_meeting(author=owner, title="Coffee", contacts=[contact])

    time_machine.move_to(now + datetime.timedelta(days=61), tick=False)
    reminders.plan_stale_contact_alerts()

    keys = dict(
        Reminder.objects.filter(contact=contact, channel=Channel.IN_APP).values_list("key", "state")
    )
    assert keys == {
        "since:2026-01-21": ReminderState.SENT,
        "since:2026-03-23": ReminderState.PENDING,
    }

"""The database itself rejects bad rows, whatever path wrote them (create, bulk_create, update).

Every write here bypasses `full_clean()` on purpose: the constraint, not the form, must say no.
Each case names the constraint PostgreSQL must report, so a row rejected for another reason
(or a constraint that silently went missing) fails the test.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from advocacy.models import (
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalProgress,
    Meeting,
    MeetingContact,
    NotificationPreference,
    OutboxEmail,
    Reminder,
    ReminderState,
    Topic,
)
from crm.models import (
    AccessLog,
    Contact,
    ContactPosition,
    ImportBatch,
    Municipality,
    Network,
    NetworkMembership,
    Organisation,
    Tag,
    User,
)
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    GoalEndorsementFactory,
    GoalFactory,
    MeetingContactFactory,
    MeetingFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    ReminderFactory,
    TopicFactory,
    UserFactory,
    municipality,
)

pytestmark = pytest.mark.django_db

BadWrite = Callable[[], object]


# --- crm -------------------------------------------------------------------------------------


def municipality_without_code() -> BadWrite:
    return lambda: Municipality.objects.create(name="Nilsiä", code=None)


def municipality_with_two_digit_code() -> BadWrite:
    return lambda: Municipality.objects.create(name="Nilsiä", code="59")


def municipality_with_letters_in_code() -> BadWrite:
    return lambda: Municipality.objects.bulk_create([Municipality(name="Nilsiä", code="A59")])


def second_joint_organisation() -> BadWrite:
    # The migration seeded SavoGrow already.
    return lambda: Municipality.objects.create(name="Kuusikko ry", is_joint_organisation=True)


def user_with_unknown_role() -> BadWrite:
    user = UserFactory()
    return lambda: User.objects.filter(pk=user.pk).update(role="mayor")


def user_with_unknown_language() -> BadWrite:
    user = UserFactory()
    return lambda: User.objects.filter(pk=user.pk).update(language="sv")


def tag_differing_only_in_case() -> BadWrite:
    Tag.objects.create(name="Liikenne")
    return lambda: Tag.objects.create(name="liikenne")


def organisation_of_unknown_kind() -> BadWrite:
    return lambda: Organisation.objects.create(name="Savon Sanomat", kind="newspaper")


def organisation_with_taken_business_id() -> BadWrite:
    OrganisationFactory(business_id="0201256-6")
    return lambda: Organisation.objects.create(name="Copy", business_id="0201256-6")


def organisation_its_own_parent() -> BadWrite:
    organisation = OrganisationFactory()
    return lambda: Organisation.objects.filter(pk=organisation.pk).update(parent=F("id"))


def contact_with_unknown_influence_level() -> BadWrite:
    contact = ContactFactory()
    return lambda: Contact.objects.filter(pk=contact.pk).update(influence_level=9)


def contact_with_unknown_lawful_basis() -> BadWrite:
    return lambda: Contact.objects.create(last_name="Virtanen", lawful_basis="curiosity")


def contact_alerted_after_zero_days() -> BadWrite:
    return lambda: Contact.objects.create(last_name="Virtanen", stale_after_days=0)


def position_ending_before_it_starts() -> BadWrite:
    contact = ContactFactory()
    return lambda: ContactPosition.objects.create(
        contact=contact,
        title="kansanedustaja",
        start_date=datetime.date(2023, 4, 5),
        end_date=datetime.date(2019, 4, 16),
    )


def network_of_unknown_kind() -> BadWrite:
    return lambda: Network.objects.create(name="Savo-Karjalan vaalipiiri", kind="club")


def membership_of_nobody() -> BadWrite:
    network = NetworkFactory()
    return lambda: NetworkMembership.objects.create(network=network)


def membership_of_contact_and_organisation_at_once() -> BadWrite:
    network, contact, organisation = NetworkFactory(), ContactFactory(), OrganisationFactory()
    return lambda: NetworkMembership.objects.create(
        network=network, contact=contact, organisation=organisation
    )


def second_membership_of_contact_in_network() -> BadWrite:
    membership = NetworkMembershipFactory()
    return lambda: NetworkMembership.objects.create(
        network=membership.network, contact=membership.contact, role="varajäsen"
    )


def second_membership_of_organisation_in_network() -> BadWrite:
    membership = NetworkMembershipFactory(contact=None, organisation=OrganisationFactory())
    return lambda: NetworkMembership.objects.bulk_create(
        [NetworkMembership(network=membership.network, organisation=membership.organisation)]
    )


# --- advocacy --------------------------------------------------------------------------------


def topic_of_unknown_status() -> BadWrite:
    return lambda: Topic.objects.create(name="Liikenneyhteydet", status="forgotten")


def topic_of_unknown_priority() -> BadWrite:
    topic = TopicFactory()
    return lambda: Topic.objects.filter(pk=topic.pk).update(priority=7)


def goal_of_unknown_status() -> BadWrite:
    goal = GoalFactory()
    return lambda: Goal.objects.filter(pk=goal.pk).update(status="abandoned")


def goal_over_one_hundred_percent() -> BadWrite:
    goal = GoalFactory()
    return lambda: Goal.objects.filter(pk=goal.pk).update(progress=101)


def topic_name_twice() -> BadWrite:
    topic = TopicFactory()
    return lambda: Topic.objects.create(name=topic.name)


def goal_title_twice_in_topic() -> BadWrite:
    goal = GoalFactory()
    return lambda: Goal.objects.create(topic=goal.topic, title=goal.title)


def second_endorsement_by_municipality() -> BadWrite:
    endorsement = GoalEndorsementFactory()
    return lambda: GoalEndorsement.objects.create(
        goal=endorsement.goal, municipality=endorsement.municipality
    )


def endorsement_of_unknown_state() -> BadWrite:
    goal, tervo = GoalFactory(), municipality("Tervo")
    return lambda: GoalEndorsement.objects.create(
        goal=goal, municipality=tervo, state="maybe", decision_date=datetime.date(2026, 1, 1)
    )


def endorsement_decided_without_date() -> BadWrite:
    endorsement = GoalEndorsementFactory()
    return lambda: GoalEndorsement.objects.filter(pk=endorsement.pk).update(state="endorsed")


def progress_entry_of_unknown_status() -> BadWrite:
    goal = GoalFactory()
    return lambda: GoalProgress.objects.create(goal=goal, status="abandoned", progress=10)


def progress_entry_over_one_hundred_percent() -> BadWrite:
    goal = GoalFactory()
    return lambda: GoalProgress.objects.create(goal=goal, status="active", progress=150)


def meeting_of_unknown_kind() -> BadWrite:
    meeting = MeetingFactory()
    return lambda: Meeting.objects.filter(pk=meeting.pk).update(kind="carrier_pigeon")


def meeting_of_unknown_visibility() -> BadWrite:
    meeting = MeetingFactory()
    return lambda: Meeting.objects.filter(pk=meeting.pk).update(visibility="secret")


def meeting_without_title() -> BadWrite:
    author = UserFactory(trustee=True)
    return lambda: Meeting.objects.create(author=author, title="")


def contact_twice_in_meeting() -> BadWrite:
    link = MeetingContactFactory()
    return lambda: MeetingContact.objects.bulk_create(
        [MeetingContact(meeting=link.meeting, contact=link.contact)]
    )


def follow_up_of_unknown_status() -> BadWrite:
    follow_up = FollowUpFactory()
    # With a completion time, so that only the status itself is wrong.
    return lambda: FollowUp.objects.filter(pk=follow_up.pk).update(
        status="postponed", completed_at=timezone.now()
    )


def follow_up_of_neither_meeting_nor_goal() -> BadWrite:
    user = UserFactory()
    return lambda: FollowUp.objects.create(
        description="Soita ministeriöön", assignee=user, due_date=datetime.date(2026, 4, 1)
    )


def follow_up_closed_without_time() -> BadWrite:
    follow_up = FollowUpFactory()
    return lambda: FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUpStatus.DONE)


def follow_up_without_description() -> BadWrite:
    follow_up = FollowUpFactory()
    return lambda: FollowUp.objects.filter(pk=follow_up.pk).update(description="")


def reminder_of_unknown_kind() -> BadWrite:
    reminder = ReminderFactory()
    return lambda: Reminder.objects.filter(pk=reminder.pk).update(kind="birthday")


def reminder_on_unknown_channel() -> BadWrite:
    reminder = ReminderFactory()
    return lambda: Reminder.objects.filter(pk=reminder.pk).update(channel="fax")


def reminder_in_unknown_state() -> BadWrite:
    reminder = ReminderFactory()
    return lambda: Reminder.objects.filter(pk=reminder.pk).update(state="lost")


def reminder_sent_without_time() -> BadWrite:
    reminder = ReminderFactory()
    return lambda: Reminder.objects.filter(pk=reminder.pk).update(state=ReminderState.SENT)


def reminder_planned_twice() -> BadWrite:
    # No contact on either row: NULLs count as equal here (nulls_distinct=False).
    reminder = ReminderFactory(key="day-before")
    return lambda: Reminder.objects.create(
        kind=reminder.kind,
        recipient=reminder.recipient,
        channel=reminder.channel,
        follow_up=reminder.follow_up,
        key="day-before",
        due_at=timezone.now(),
    )


def outbox_email_in_unknown_state() -> BadWrite:
    return lambda: OutboxEmail.objects.create(
        to_address="matti@example.fi", subject="Muistutus", body_text="...", state="lost"
    )


def outbox_email_sent_without_time() -> BadWrite:
    return lambda: OutboxEmail.objects.create(
        to_address="matti@example.fi", subject="Muistutus", body_text="...", state="sent"
    )


def notification_preference_of_unknown_kind() -> BadWrite:
    user = UserFactory()
    return lambda: NotificationPreference.objects.create(user=user, email_kinds=["gossip"])


def notification_preference_on_unknown_weekday() -> BadWrite:
    user = UserFactory()
    return lambda: NotificationPreference.objects.create(user=user, digest_weekday=7)


# --- Traceability: register role, access log, imports ----------------------------------------


def contact_with_unknown_register_role() -> BadWrite:
    return lambda: Contact.objects.create(last_name="Virtanen", register_role="king")


def access_log_of_unknown_purpose() -> BadWrite:
    user = UserFactory()
    return lambda: AccessLog.objects.create(user=user, purpose="curiosity")


def import_of_unknown_kind() -> BadWrite:
    user = UserFactory()
    return lambda: ImportBatch.objects.create(created_by=user, kind="people", plan_digest="x")


def import_in_unknown_state() -> BadWrite:
    user = UserFactory()
    return lambda: ImportBatch.objects.create(
        created_by=user, kind="contacts", state="half-done", plan_digest="x"
    )


CONSTRAINT_CASES = [
    ("municipality_code_three_digits", municipality_without_code),
    ("municipality_code_three_digits", municipality_with_two_digit_code),
    ("municipality_code_three_digits", municipality_with_letters_in_code),
    ("municipality_one_joint_organisation", second_joint_organisation),
    ("user_role_valid", user_with_unknown_role),
    ("user_language_valid", user_with_unknown_language),
    ("tag_name_unique_ci", tag_differing_only_in_case),
    ("organisation_kind_valid", organisation_of_unknown_kind),
    ("organisation_business_id_unique", organisation_with_taken_business_id),
    ("organisation_not_own_parent", organisation_its_own_parent),
    ("contact_influence_level_valid", contact_with_unknown_influence_level),
    ("contact_lawful_basis_valid", contact_with_unknown_lawful_basis),
    ("contact_stale_after_days_positive", contact_alerted_after_zero_days),
    ("contact_position_ends_after_start", position_ending_before_it_starts),
    ("network_kind_valid", network_of_unknown_kind),
    ("membership_contact_xor_organisation", membership_of_nobody),
    ("membership_contact_xor_organisation", membership_of_contact_and_organisation_at_once),
    ("membership_one_per_contact", second_membership_of_contact_in_network),
    ("membership_one_per_organisation", second_membership_of_organisation_in_network),
    ("topic_status_valid", topic_of_unknown_status),
    ("topic_priority_valid", topic_of_unknown_priority),
    ("goal_status_valid", goal_of_unknown_status),
    ("goal_progress_percent", goal_over_one_hundred_percent),
    ("topic_name_unique", topic_name_twice),
    ("goal_title_unique_per_topic", goal_title_twice_in_topic),
    ("endorsement_one_per_municipality", second_endorsement_by_municipality),
    ("endorsement_state_valid", endorsement_of_unknown_state),
    ("endorsement_decision_dated", endorsement_decided_without_date),
    ("goal_progress_status_valid", progress_entry_of_unknown_status),
    ("goal_progress_entry_percent", progress_entry_over_one_hundred_percent),
    ("meeting_kind_valid", meeting_of_unknown_kind),
    ("meeting_visibility_valid", meeting_of_unknown_visibility),
    ("meeting_title_present", meeting_without_title),
    ("meeting_contact_unique", contact_twice_in_meeting),
    ("follow_up_status_valid", follow_up_of_unknown_status),
    ("follow_up_has_origin", follow_up_of_neither_meeting_nor_goal),
    ("follow_up_closed_has_time", follow_up_closed_without_time),
    ("follow_up_description_present", follow_up_without_description),
    ("reminder_kind_valid", reminder_of_unknown_kind),
    ("reminder_channel_valid", reminder_on_unknown_channel),
    ("reminder_state_valid", reminder_in_unknown_state),
    ("reminder_sent_has_time", reminder_sent_without_time),
    ("reminder_unique_plan", reminder_planned_twice),
    ("outbox_state_valid", outbox_email_in_unknown_state),
    ("outbox_sent_has_time", outbox_email_sent_without_time),
    ("notification_preference_kinds_valid", notification_preference_of_unknown_kind),
    ("notification_preference_weekday_valid", notification_preference_on_unknown_weekday),
    ("contact_register_role_valid", contact_with_unknown_register_role),
    ("access_log_purpose_valid", access_log_of_unknown_purpose),
    ("import_kind_valid", import_of_unknown_kind),
    ("import_state_valid", import_in_unknown_state),
]


@pytest.mark.parametrize(
    ("constraint", "make_bad_write"),
    CONSTRAINT_CASES,
    ids=[make.__name__ for _, make in CONSTRAINT_CASES],
)
def test_database_rejects_row_that_breaks_constraint(constraint, make_bad_write):
    bad_write = make_bad_write()

    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        bad_write()

    assert caught.value.__cause__.diag.constraint_name == constraint


def test_every_named_constraint_of_both_apps_has_a_case():
    from django.apps import apps

    declared = {
        constraint.name
        for app in ("crm", "advocacy")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }
    # pghistory's event models declare none; all of ours are listed above.
    assert declared == {name for name, _ in CONSTRAINT_CASES}


def test_follow_up_without_due_date_is_rejected():
    follow_up = FollowUpFactory()

    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FollowUp.objects.filter(pk=follow_up.pk).update(due_date=None)

    assert caught.value.__cause__.diag.column_name == "due_date"


def test_goal_progress_cannot_go_negative():
    goal = GoalFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).update(progress=-1)


# --- What the constraints still allow --------------------------------------------------------


def test_many_organisations_may_lack_a_business_id():
    Organisation.objects.bulk_create(
        [Organisation(name="Pielaveden Yrittäjät"), Organisation(name="Tervon Yrittäjät")]
    )

    assert Organisation.objects.filter(business_id="").count() == 2


def test_contact_may_be_member_of_several_networks_and_network_of_several_contacts():
    contact = ContactFactory()
    first, second = NetworkFactory(), NetworkFactory()

    NetworkMembershipFactory(network=first, contact=contact)
    NetworkMembershipFactory(network=second, contact=contact)
    NetworkMembershipFactory(network=first)

    assert NetworkMembership.objects.filter(contact=contact).count() == 2
    assert first.memberships.count() == 2


def test_same_reminder_plan_with_another_key_is_a_second_reminder():
    reminder = ReminderFactory(key="day-before")

    ReminderFactory(follow_up=reminder.follow_up, key="on-the-day")

    assert Reminder.objects.filter(follow_up=reminder.follow_up).count() == 2


def test_endorsement_proposed_needs_no_decision_date():
    endorsement = GoalEndorsementFactory(municipality=municipality("Tervo"), decision_date=None)

    GoalEndorsementFactory(goal=endorsement.goal, municipality=municipality("Vesanto"))

    assert endorsement.goal.endorsements.count() == 2

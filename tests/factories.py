"""Test data factories, one per model (factory_boy).

The six municipalities and the joint organisation are created by the data migration
`crm.0002_municipalities`; their factory looks them up by code instead of inventing new ones, and
`municipality("Tervo")` / `joint_organisation()` fetch them by name.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from advocacy.models import (
    Channel,
    EndorsementState,
    FollowUp,
    Goal,
    GoalEndorsement,
    GoalProgress,
    GoalStatus,
    Meeting,
    MeetingContact,
    Notification,
    OutboxEmail,
    Reminder,
    ReminderKind,
    ReminderState,
    Topic,
    Visibility,
)
from crm.models import (
    Contact,
    ContactPosition,
    Municipality,
    Network,
    NetworkMembership,
    Organisation,
    Role,
    Tag,
    User,
)

# Statistics Finland's codes, as seeded by crm/migrations/0002_municipalities.py.
MUNICIPALITY_CODES = {
    "239": "Keitele",
    "595": "Pielavesi",
    "686": "Rautalampi",
    "778": "Suonenjoki",
    "844": "Tervo",
    "921": "Vesanto",
}
TEST_PASSWORD = "kuusikko-test-password"


def municipality(name: str) -> Municipality:
    """One of the six seeded municipalities, by name (e.g. "Tervo")."""
    code = next(code for code, known in MUNICIPALITY_CODES.items() if known == name)
    return MunicipalityFactory(code=code)


def joint_organisation() -> Municipality:
    """The joint organisation (SavoGrow), seeded by the same migration."""
    return Municipality.objects.get_or_create(
        is_joint_organisation=True, defaults={"name": "SavoGrow", "code": None}
    )[0]


class MunicipalityFactory(DjangoModelFactory):
    """Cycles through the six seeded municipalities; get_or_create keeps them unique.

    (Recreates a seeded row only if a transactional test flushed the table.)
    """

    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    code = factory.Iterator(MUNICIPALITY_CODES)
    name = factory.LazyAttribute(lambda o: MUNICIPALITY_CODES[o.code])
    is_joint_organisation = False


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fi_FI")
    last_name = factory.Faker("last_name", locale="fi_FI")
    email = factory.LazyAttribute(lambda o: f"{o.username}@kunta.example.fi")
    password = factory.django.Password(TEST_PASSWORD)
    role = Role.STAFF
    municipality = factory.SubFactory(MunicipalityFactory)
    is_active = True

    class Params:
        trustee = factory.Trait(role=Role.TRUSTEE)
        staff = factory.Trait(role=Role.STAFF)
        # The coordinator works for the joint organisation, not for one municipality.
        coordinator = factory.Trait(
            role=Role.COORDINATOR,
            municipality=factory.LazyFunction(joint_organisation),
        )
        admin = factory.Trait(role=Role.ADMIN, municipality=None)


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = "other"
    municipality = None


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    # Names no test searches for: a drawn "Korhonen" or "Matti" would join the
    # results of tests that look those names up.
    first_name = factory.Sequence(lambda n: f"Testi{n}")
    last_name = factory.Sequence(lambda n: f"Testaaja{n}")
    title = "kansanedustaja"
    email = factory.Sequence(lambda n: f"contact{n}@example.fi")
    organisation = factory.SubFactory(OrganisationFactory)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)

    @factory.post_generation
    def relationship_owners(self, create, extracted, **kwargs):
        if create and extracted:
            self.relationship_owners.set(extracted)


class ContactPositionFactory(DjangoModelFactory):
    class Meta:
        model = ContactPosition

    contact = factory.SubFactory(ContactFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    title = "asiantuntija"
    start_date = datetime.date(2020, 1, 1)
    end_date = None


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    kind = "forum"


class NetworkMembershipFactory(DjangoModelFactory):
    """A contact's membership; for an organisation pass organisation=..., contact=None."""

    class Meta:
        model = NetworkMembership

    network = factory.SubFactory(NetworkFactory)
    contact = factory.SubFactory(ContactFactory)
    organisation = None
    role = "jäsen"


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")


class GoalFactory(DjangoModelFactory):
    class Meta:
        model = Goal

    topic = factory.SubFactory(TopicFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    status = GoalStatus.ACTIVE
    target_date = datetime.date(2027, 12, 31)


class GoalEndorsementFactory(DjangoModelFactory):
    class Meta:
        model = GoalEndorsement

    goal = factory.SubFactory(GoalFactory)
    municipality = factory.SubFactory(MunicipalityFactory)
    state = EndorsementState.PROPOSED


class GoalProgressFactory(DjangoModelFactory):
    class Meta:
        model = GoalProgress

    goal = factory.SubFactory(GoalFactory)
    author = factory.SubFactory(UserFactory, coordinator=True)
    status = GoalStatus.ACTIVE
    progress = 10


class MeetingFactory(DjangoModelFactory):
    """A meeting written straight to the table; tests of log_meeting use the service instead."""

    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Meeting {n}")
    occurred_at = factory.LazyFunction(timezone.now)
    author = factory.SubFactory(UserFactory, trustee=True)
    municipality = factory.LazyAttribute(lambda o: o.author.municipality)
    visibility = Visibility.JOINT

    @factory.post_generation
    def our_participants(self, create, extracted, **kwargs):
        if create and extracted:
            self.our_participants.set(extracted)

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):
        if create and extracted:
            self.contacts.set(extracted)


class MeetingContactFactory(DjangoModelFactory):
    class Meta:
        model = MeetingContact

    meeting = factory.SubFactory(MeetingFactory)
    contact = factory.SubFactory(ContactFactory)


class FollowUpFactory(DjangoModelFactory):
    """A meeting's follow-up, assigned to and created by the meeting's author."""

    class Meta:
        model = FollowUp

    meeting = factory.SubFactory(MeetingFactory)
    goal = None
    description = factory.Sequence(lambda n: f"Send the memo {n}")
    assignee = factory.LazyAttribute(lambda o: o.meeting.author if o.meeting else None)
    created_by = factory.LazyAttribute(lambda o: o.assignee)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))


class ReminderFactory(DjangoModelFactory):
    class Meta:
        model = Reminder

    kind = ReminderKind.FOLLOW_UP_DUE
    follow_up = factory.SubFactory(FollowUpFactory)
    recipient = factory.LazyAttribute(lambda o: o.follow_up.assignee)
    channel = Channel.EMAIL
    due_at = factory.LazyFunction(timezone.now)
    state = ReminderState.PENDING
    key = factory.Sequence(lambda n: f"plan-{n}")


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = ReminderKind.FOLLOW_UP_DUE
    subject = factory.Sequence(lambda n: f"Muistutus {n}")


class OutboxEmailFactory(DjangoModelFactory):
    class Meta:
        model = OutboxEmail

    recipient = factory.SubFactory(UserFactory)
    to_address = factory.LazyAttribute(lambda o: o.recipient.email)
    subject = factory.Sequence(lambda n: f"Muistutus {n}")
    body_text = "Seurantatehtävä erääntyy huomenna."

"""A fixed, hand-counted data set for the traceability tests (reports, register, feeds).

Built through the services, with the clock where it matters set explicitly. The figures the
tests expect are worked out in the docstrings of the tests that use them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation

from advocacy import services
from advocacy.models import FollowUp, Goal, GoalStatus, Meeting, MeetingKind, Topic, Visibility
from crm.models import (
    Contact,
    Municipality,
    Organisation,
    OrganisationKind,
    RegisterRole,
    Role,
    User,
)

HELSINKI = ZoneInfo("Europe/Helsinki")


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


def set_last_event_time(event_model_name: str, obj, when: datetime.datetime) -> None:
    """History rows are stamped by the database clock; tests put them where they belong."""
    app_label, name = event_model_name.split(".")
    model = apps.get_model(app_label, name)
    latest = model.objects.filter(pgh_obj_id=obj.pk).order_by("-pgh_id").first()
    model.objects.filter(pk=latest.pk).update(pgh_created_at=when)


def make_user(username, role, municipality, **extra) -> User:
    # No password: hashing one costs a second per user, and these users never sign in by form.
    return User.objects.create(
        username=username,
        password="!unusable",
        role=role,
        municipality=municipality,
        first_name=username.capitalize(),
        last_name="Tester",
        email=f"{username}@example.fi",
        language="en",  # the tests read the source strings
        **extra,
    )


@dataclass
class World:
    keitele: Municipality
    tervo: Municipality
    vesanto: Municipality
    savogrow: Municipality
    coordinator: User
    alice: User  # staff, Keitele
    bob: User  # trustee, Tervo
    carol: User  # staff, Vesanto: sees joint meetings only
    parliament: Organisation
    ministry: Organisation
    department: Organisation
    unit: Organisation
    council: Organisation
    company: Organisation
    mp: Contact
    official: Contact
    entrepreneur: Contact
    unmet: Contact
    transport: Topic
    marketing: Topic
    road: Goal
    brand: Goal
    m1: Meeting
    m2: Meeting
    m3: Meeting
    m4: Meeting
    m5: Meeting
    m6: Meeting
    m7: Meeting
    f1: FollowUp
    f2: FollowUp
    f3: FollowUp
    f4: FollowUp
    f5: FollowUp
    f6: FollowUp


FALLBACK_TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture
def pages(settings):
    """Page tests render on the web UI's base.html, or on a stand-in where it is missing;
    static files come from the folders, not from a collected manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        get_template("base.html")
    except TemplateDoesNotExist:
        engine = dict(settings.TEMPLATES[0])
        engine["DIRS"] = [*engine["DIRS"], FALLBACK_TEMPLATES]
        settings.TEMPLATES = [engine]


@pytest.fixture(autouse=True)
def _english():
    """Labels in exports are compared in English (the source language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db) -> World:
    by_name = {m.name: m for m in Municipality.objects.all()}
    keitele, tervo, vesanto = by_name["Keitele"], by_name["Tervo"], by_name["Vesanto"]
    savogrow = Municipality.objects.get(is_joint_organisation=True)
    coordinator = make_user("coordinator", Role.COORDINATOR, savogrow)
    alice = make_user("alice", Role.STAFF, keitele)
    bob = make_user("bob", Role.TRUSTEE, tervo)
    carol = make_user("carol", Role.STAFF, vesanto)

    parliament = Organisation.objects.create(name="Eduskunta", kind=OrganisationKind.PARLIAMENT)
    ministry = Organisation.objects.create(
        name="Liikenne- ja viestintäministeriö", kind=OrganisationKind.MINISTRY
    )
    department = Organisation.objects.create(
        name="Liikenneverkko-osasto", kind=OrganisationKind.MINISTRY, parent=ministry
    )
    unit = Organisation.objects.create(
        name="Tieyksikkö", kind=OrganisationKind.MINISTRY, parent=department
    )
    council = Organisation.objects.create(
        name="Pohjois-Savon liitto", kind=OrganisationKind.REGIONAL_COUNCIL
    )
    company = Organisation.objects.create(name="Savon Saha Oy", kind=OrganisationKind.COMPANY)

    mp = Contact.objects.create(
        first_name="Matti",
        last_name="Meikäläinen",
        title="kansanedustaja",
        organisation=parliament,
        is_decision_maker=True,
        register_role=RegisterRole.MP,
    )
    official = Contact.objects.create(
        first_name="Liisa",
        last_name="Virkamies",
        title="yksikön päällikkö",
        organisation=unit,
        is_decision_maker=True,
    )
    entrepreneur = Contact.objects.create(
        first_name="Kalle", last_name="Yrittäjä", organisation=company
    )
    unmet = Contact.objects.create(
        first_name="Pekka",
        last_name="Päättäjä",
        organisation=council,
        is_decision_maker=True,
    )

    transport = Topic.objects.create(
        name="Liikenneyhteydet",
        register_subject="Valtatie 77:n parantaminen ja joukkoliikenteen yhteydet "
        "Sisä-Savon kunnista maakuntakeskukseen.",
    )
    marketing = Topic.objects.create(name="Alueen markkinointi", government_project="VN/123/2026")
    road = Goal.objects.create(topic=transport, title="Vt 77 perusparannus")
    set_last_event_time("advocacy.GoalEvent", road, at(2025, 11, 1))
    services.record_goal_progress(goal=road, by=coordinator, status=GoalStatus.ACTIVE)
    set_last_event_time("advocacy.GoalEvent", road, at(2026, 3, 10))
    services.record_goal_progress(goal=road, by=coordinator, progress=50, note="Rahoitus esillä")
    set_last_event_time("advocacy.GoalEvent", road, at(2026, 4, 1))
    services.record_goal_progress(goal=road, by=coordinator, status=GoalStatus.ACHIEVED)
    set_last_event_time("advocacy.GoalEvent", road, at(2026, 7, 5))
    brand = Goal.objects.create(topic=marketing, title="Yhteinen brändi")
    set_last_event_time("advocacy.GoalEvent", brand, at(2026, 2, 1))
    later = Goal.objects.create(topic=marketing, title="Messut 2027")
    set_last_event_time("advocacy.GoalEvent", later, at(2026, 8, 1))

    m1 = services.log_meeting(
        author=alice,
        title="Tapaaminen kansanedustajan kanssa",
        occurred_at=at(2026, 1, 15),
        kind=MeetingKind.IN_PERSON,
        contacts=[mp],
        topics=[transport],
        goals=[road],
    )
    m2 = services.log_meeting(
        author=alice,
        title="Puhelu ministeriöön",
        occurred_at=at(2026, 2, 10),
        kind=MeetingKind.PHONE,
        visibility=Visibility.MUNICIPALITY,
        contacts=[official],
        topics=[transport],
    )
    m3 = services.log_meeting(
        author=bob,
        title="Sähköposti brändistä",
        occurred_at=at(2026, 2, 20),
        kind=MeetingKind.EMAIL,
        contacts=[official, entrepreneur],
        topics=[marketing],
    )
    m4 = services.log_meeting(
        author=bob,
        title="Luottamuksellinen budjettikeskustelu",
        occurred_at=at(2026, 3, 5),
        kind=MeetingKind.IN_PERSON,
        visibility=Visibility.RESTRICTED,
        contacts=[mp],
        topics=[marketing],
    )
    m5 = services.log_meeting(
        author=alice,
        title="Joulukuun tapaaminen",
        occurred_at=at(2025, 12, 20),
        contacts=[mp],
        topics=[transport],
    )
    m6 = services.log_meeting(
        author=coordinator,
        title="Etäpalaveri ministeriön kanssa",
        occurred_at=at(2026, 6, 30, 23, 30),
        kind=MeetingKind.ONLINE,
        organisations=[ministry],
        topics=[transport],
    )
    m7 = services.log_meeting(
        author=coordinator,
        title="Heinäkuun tapaaminen",
        occurred_at=at(2026, 7, 1, 0, 10),
        contacts=[entrepreneur],
        topics=[marketing],
    )

    def follow_up(by, meeting=None, goal=None, assignee=None, due=None, text="Tehtävä"):
        return services.add_follow_up(
            by=by, description=text, assignee=assignee, due_date=due, meeting=meeting, goal=goal
        )

    f1 = follow_up(
        alice, meeting=m1, assignee=alice, due=datetime.date(2026, 2, 1), text="Lähetä muistio"
    )
    services.complete_follow_up(follow_up=f1, by=alice, note="Lähetetty")
    f2 = follow_up(
        alice, meeting=m2, assignee=alice, due=datetime.date(2026, 3, 1), text="Soita uudelleen"
    )
    f3 = follow_up(
        bob, meeting=m4, assignee=bob, due=datetime.date(2026, 4, 1), text="Salainen tehtävä"
    )
    f4 = follow_up(
        coordinator,
        goal=road,
        assignee=coordinator,
        due=datetime.date(2026, 6, 15),
        text="Lausunto",
    )
    services.cancel_follow_up(follow_up=f4, by=coordinator)
    f5 = follow_up(
        coordinator, goal=road, assignee=coordinator, due=datetime.date(2026, 8, 1), text="Seuranta"
    )
    f6 = follow_up(
        bob, meeting=m3, assignee=bob, due=datetime.date(2026, 6, 30), text="Vastaa viestiin"
    )
    return World(**{k: v for k, v in locals().items() if k in World.__dataclass_fields__})

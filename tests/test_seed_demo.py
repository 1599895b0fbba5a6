"""`manage.py seed_demo`: deterministic, idempotent, consistent, and usable for signing in."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery

from advocacy.demo_data import DEMO_PASSWORD
from advocacy.models import (
    FollowUp,
    FollowUpStatus,
    GoalEndorsement,
    Meeting,
    MeetingContact,
    Reminder,
    ReminderState,
    Visibility,
)
from crm.models import Contact, Role, User

SMALL = {"contacts": 60, "meetings": 200, "today": "2026-03-10"}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def fingerprint() -> tuple[str, dict[str, int]]:
    """A checksum of the contacts' names in creation order, and the row counts."""
    names = Contact.objects.order_by("id").values_list("first_name", "last_name", "email")
    digest = hashlib.sha256(repr(list(names)).encode()).hexdigest()
    counts = {
        model.__name__: model.objects.count()
        for model in (User, Contact, Meeting, MeetingContact, FollowUp, Reminder, GoalEndorsement)
    }
    titles = list(Meeting.objects.order_by("id").values_list("title", "occurred_at")[:50])
    return hashlib.sha256(f"{digest}{titles}".encode()).hexdigest(), counts


def seed_and_roll_back(**options) -> tuple[str, dict[str, int]]:
    with transaction.atomic():
        seed(**options)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_other_data():
    first = seed_and_roll_back(seed=7)
    assert not User.objects.filter(username="koordinaattori").exists()  # really rolled back
    second = seed_and_roll_back(seed=7)
    other = seed_and_roll_back(seed=8)

    assert first == second
    assert first[1]["Contact"] == SMALL["contacts"]
    assert first[1]["Meeting"] == SMALL["meetings"]
    assert other[0] != first[0]


@pytest.mark.django_db
def test_second_run_does_nothing_and_says_so():
    seed()
    before = fingerprint()

    output = seed(seed=99)

    assert "nothing done" in output
    assert fingerprint() == before


@pytest.mark.django_db
def test_demo_logins_have_their_roles_and_can_sign_in(client):
    seed()
    expected = {
        "luottamushenkilo": (Role.TRUSTEE, "Suonenjoki"),
        "viranhaltija": (Role.STAFF, "Rautalampi"),
        "koordinaattori": (Role.COORDINATOR, "SavoGrow"),
        "yllapito": (Role.ADMIN, "SavoGrow"),
    }
    for username, (role, municipality) in expected.items():
        user = User.objects.select_related("municipality").get(username=username)
        assert (user.role, user.municipality.name) == (role, municipality)
        assert user.is_staff
        assert user.is_superuser == (username == "yllapito")
        response = client.post(
            "/admin/login/",
            {"username": username, "password": DEMO_PASSWORD, "next": "/admin/"},
        )
        assert response.status_code == 302 and response.url == "/admin/", username
        client.logout()
    koordinaattori = User.objects.get(username="koordinaattori")
    assert koordinaattori.has_perm("advocacy.delete_followup")
    assert not User.objects.get(username="viranhaltija").has_perm("advocacy.delete_followup")
    assert User.objects.get(username="viranhaltija").has_perm("advocacy.change_meeting")
    # More invented users in each of the six municipalities.
    assert User.objects.filter(role=Role.TRUSTEE).values("municipality").distinct().count() == 6


@pytest.mark.django_db
def test_last_interaction_is_the_latest_meeting_of_each_contact():
    seed()
    latest = (
        MeetingContact.objects.filter(contact_id=OuterRef("pk"))
        .values("contact_id")
        .annotate(latest=Max("meeting__occurred_at"))
        .values("latest")
    )
    contacts = Contact.objects.annotate(expected=Subquery(latest))

    assert contacts.filter(last_interaction_at__isnull=False).exists()
    for contact in contacts:
        assert contact.last_interaction_at == contact.expected


@pytest.mark.django_db
def test_data_covers_every_state_the_ui_shows():
    seed()
    statuses = set(FollowUp.objects.values_list("status", flat=True))
    assert statuses == {FollowUpStatus.OPEN, FollowUpStatus.DONE, FollowUpStatus.CANCELLED}
    assert FollowUp.objects.overdue(today=Meeting.objects.latest("occurred_at").occurred_at.date())
    states = set(Reminder.objects.values_list("state", flat=True))
    assert {ReminderState.PENDING, ReminderState.SENT} <= states
    assert set(Meeting.objects.values_list("visibility", flat=True)) == set(Visibility.values)
    assert GoalEndorsement.objects.exclude(minutes_reference="").exists()
    # Every meeting lies in the year before --today.
    assert Meeting.objects.filter(occurred_at__date__gte="2026-03-10").count() == 0
    assert Meeting.objects.filter(occurred_at__date__lt="2025-03-10").count() == 0

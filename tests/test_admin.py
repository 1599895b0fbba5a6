"""The admin on the demo data: every page opens, scoping holds, actions go through services."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from advocacy.models import (
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalStatus,
    Meeting,
    OutboxEmail,
    Reminder,
    ReminderState,
    Visibility,
)
from crm.models import Contact, User

APPS = ("crm", "advocacy")


@pytest.fixture
def demo(db):
    call_command("seed_demo", contacts=40, meetings=150, today="2026-03-10", verbosity=0)


def registered_models(app_labels=APPS):
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in app_labels
    ]


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("username", ["yllapito", "koordinaattori"])
def test_every_changelist_and_change_page_opens(demo, client, username):
    user = User.objects.get(username=username)
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    failures = []
    apps = (*APPS, "pghistory") if user.is_superuser else APPS
    for model, model_admin in registered_models(apps):
        if not model_admin.has_view_permission(request):
            assert model is OutboxEmail  # only a superuser reads the raw e-mail outbox
            assert client.get(url(model, "changelist")).status_code == 403
            continue
        pages = [url(model, "changelist")]
        if model._meta.app_label not in APPS:  # pghistory's own events list: the list is enough
            pages.append(f"{pages[0]}?model=crm.Contact")
            continue
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            pages.append(url(model, "change", obj.pk))
        if model_admin.has_add_permission(request):
            pages.append(url(model, "add"))
        for page in pages:
            status = client.get(page).status_code
            if status != 200:
                failures.append((page, status))
    assert failures == []


def test_index_lists_the_models_and_hides_the_event_lists(demo, client):
    client.force_login(User.objects.get(username="koordinaattori"))
    html = client.get(reverse("admin:index")).content.decode()
    assert url(Meeting, "changelist") in html
    assert url(Contact, "changelist") in html
    assert "/admin/crm/contactevent/" not in html


def test_meeting_list_of_a_trustee_leaves_out_restricted_meetings_of_others(demo, client):
    trustee = User.objects.get(username="luottamushenkilo")
    hidden = (
        Meeting.objects.filter(visibility=Visibility.RESTRICTED)
        .exclude(author=trustee)
        .exclude(our_participants=trustee)
        .first()
    )
    assert hidden is not None
    client.force_login(trustee)

    listed = client.get(url(Meeting, "changelist"), {"q": hidden.title}).context["cl"].queryset

    assert hidden not in listed
    assert client.get(url(Meeting, "change", hidden.pk)).status_code == 302  # "does not exist"
    assert client.get(url(FollowUp, "changelist")).status_code == 200


def test_mark_done_action_completes_follow_ups_through_the_service(demo, client):
    coordinator = User.objects.get(username="koordinaattori")
    follow_up = (
        FollowUp.objects.visible_to(coordinator)
        .open()
        .filter(reminders__state=ReminderState.PENDING)
        .first()
    )
    assert follow_up is not None
    client.force_login(coordinator)

    response = client.post(
        url(FollowUp, "changelist"),
        {"action": "mark_done", "_selected_action": [follow_up.pk]},
        follow=True,
    )

    assert response.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.completed_by == coordinator
    assert not Reminder.objects.filter(follow_up=follow_up, state=ReminderState.PENDING).exists()


def test_contacts_cannot_be_deleted_but_can_be_anonymised(demo, client):
    client.force_login(User.objects.get(username="yllapito"))
    contact = Contact.objects.filter(meeting_links__isnull=False).first()

    assert client.get(url(Contact, "delete", contact.pk)).status_code == 403
    client.post(
        url(Contact, "changelist"), {"action": "anonymise", "_selected_action": [contact.pk]}
    )

    contact.refresh_from_db()
    assert contact.anonymised_at is not None
    assert contact.meeting_links.exists()


def test_change_page_shows_the_history_of_the_row(demo, client):
    client.force_login(User.objects.get(username="koordinaattori"))
    contact = Contact.objects.first()

    html = client.get(url(Contact, "change", contact.pk)).content.decode()

    assert "seed_demo" in html  # the seed's insert event, with its source
    assert f"obj=crm.Contact:{contact.pk}" in html  # link to the contact's event list


def test_a_meeting_logged_in_the_admin_gets_its_author_participants_and_follow_up(demo, client):
    trustee = User.objects.get(username="luottamushenkilo")
    contact = Contact.objects.filter(archived_at__isnull=True).first()
    client.force_login(trustee)

    response = client.post(
        url(Meeting, "add"),
        {
            "occurred_at_0": "2027-01-15",
            "occurred_at_1": "10:00",
            "kind": "in_person",
            "title": "Kuntakuusikon ja ELY-keskuksen tapaaminen",
            "place": "Suonenjoen kaupungintalo",
            "visibility": Visibility.MUNICIPALITY,
            "notes": "Keskusteltiin liikenneyhteyksistä.",
            "outcomes": "",
            "contact_links-TOTAL_FORMS": "1",
            "contact_links-INITIAL_FORMS": "0",
            "contact_links-0-contact": contact.pk,
            "follow_ups-TOTAL_FORMS": "1",
            "follow_ups-INITIAL_FORMS": "0",
            "follow_ups-0-description": "Lähetä muistio osallistujille.",
            "follow_ups-0-assignee": trustee.pk,
            "follow_ups-0-due_date": "2027-01-22",
        },
    )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    meeting = Meeting.objects.get(title="Kuntakuusikon ja ELY-keskuksen tapaaminen")
    assert meeting.municipality == trustee.municipality
    assert list(meeting.our_participants.all()) == [trustee]
    contact.refresh_from_db()
    assert contact.last_interaction_at == meeting.occurred_at
    follow_up = meeting.follow_ups.get()
    assert (follow_up.assignee, follow_up.created_by) == (trustee, trustee)


def test_changing_a_goals_status_in_the_admin_adds_to_its_progress_trail(demo, rf):
    coordinator = User.objects.get(username="koordinaattori")
    goal = Goal.objects.filter(status=GoalStatus.ACTIVE).first()
    trail_before = goal.progress_trail.count()
    request = rf.post("/")
    request.user = coordinator
    goal.status = GoalStatus.ACHIEVED

    admin.site._registry[Goal].save_model(
        request, goal, SimpleNamespace(changed_data=["status"]), change=True
    )

    goal.refresh_from_db()
    assert (goal.status, goal.progress) == (GoalStatus.ACHIEVED, 100)
    assert goal.progress_trail.count() == trail_before + 1
    assert goal.progress_trail.first().author == coordinator

"""Every page renders for a signed-in user and sends anonymous visitors to the sign-in page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import Goal, Notification, ReminderKind, Topic
from crm import services as crm_services
from crm.models import Network, NetworkMembership, Organisation
from tests.factories import TEST_PASSWORD


@pytest.fixture
def world(trustee, coordinator):
    organisation = Organisation.objects.create(name="Liikenne- ja viestintäministeriö")
    contact = crm_services.create_contact(
        by=trustee, first_name="Äijä", last_name="Öhman", organisation=organisation
    )
    topic = Topic.objects.create(name="Liikenneyhteydet")
    goal = Goal.objects.create(topic=topic, title="Valtatie 9 kuntoon", owner=trustee)
    meeting = services.log_meeting(
        author=trustee,
        title="Tapaaminen ministeriössä",
        contacts=[contact],
        topics=[topic],
        goals=[goal],
        follow_ups=[
            services.NewFollowUp(
                description="Lähetä muistio",
                assignee=trustee,
                due_date=timezone.localdate() + datetime.timedelta(days=3),
            )
        ],
    )
    network = Network.objects.create(name="Pohjois-Savon kansanedustajat")
    NetworkMembership.objects.create(network=network, contact=contact)
    notification = Notification.objects.create(
        recipient=trustee, kind=ReminderKind.FOLLOW_UP_DUE, subject="Muistio erääntyy"
    )
    return {
        "organisation": organisation,
        "contact": contact,
        "topic": topic,
        "goal": goal,
        "meeting": meeting,
        "follow_up": meeting.follow_ups.get(),
        "network": network,
        "notification": notification,
    }


def page_urls(world) -> list[str]:
    return [
        reverse("advocacy:dashboard"),
        reverse("advocacy:meeting_new"),
        reverse("advocacy:meeting_detail", args=[world["meeting"].pk]),
        reverse("advocacy:meeting_edit", args=[world["meeting"].pk]),
        reverse("crm:contact_list"),
        reverse("crm:contact_list") + "?q=ohman&decision_maker=on&not_met_days=30",
        reverse("crm:contact_create"),
        reverse("advocacy:contact_detail", args=[world["contact"].pk]),
        reverse("crm:contact_edit", args=[world["contact"].pk]),
        reverse("crm:organisation_list"),
        reverse("crm:organisation_list") + "?q=viestinta&kind=ministry",
        reverse("crm:organisation_create"),
        reverse("advocacy:organisation_detail", args=[world["organisation"].pk]),
        reverse("crm:organisation_edit", args=[world["organisation"].pk]),
        reverse("crm:network_list"),
        reverse("crm:network_create"),
        reverse("advocacy:network_detail", args=[world["network"].pk]),
        reverse("crm:network_edit", args=[world["network"].pk]),
        reverse("advocacy:topic_list"),
        reverse("advocacy:topic_detail", args=[world["topic"].pk]),
        reverse("advocacy:goal_detail", args=[world["goal"].pk]),
        reverse("advocacy:follow_up_list"),
        reverse("advocacy:follow_up_list") + "?show=overdue",
        reverse("advocacy:follow_up_list") + "?show=done",
        reverse("advocacy:follow_up_detail", args=[world["follow_up"].pk]),
        reverse("advocacy:notification_list"),
        reverse("advocacy:search") + "?q=ohman",
        reverse("crm:contact_lookup") + "?q=ohm&field=contacts&new=1",
        reverse("crm:organisation_lookup") + "?q=minis&field=organisation",
        reverse("crm:user_lookup") + "?q=first&field=our_participants",
        reverse("advocacy:topic_goal_lookup") + "?q=liikenne",
        reverse("password_change"),
    ]


def test_every_page_renders_for_a_trustee(world, trustee, signed_in):
    client = signed_in(trustee)
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_coordinator_pages_render(world, coordinator, signed_in):
    client = signed_in(coordinator)
    for url in [
        reverse("advocacy:dashboard"),
        reverse("advocacy:topic_create"),
        reverse("advocacy:topic_edit", args=[world["topic"].pk]),
        reverse("advocacy:goal_create") + f"?topic={world['topic'].pk}",
        reverse("advocacy:goal_edit", args=[world["goal"].pk]),
        reverse("advocacy:goal_detail", args=[world["goal"].pk]),
        reverse("advocacy:contact_merge", args=[world["contact"].pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    for url in page_urls(world):
        if url == reverse("password_change"):
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_trustee_may_not_open_coordinator_pages(world, trustee, signed_in):
    client = signed_in(trustee)
    assert client.get(reverse("advocacy:topic_create")).status_code == 403
    assert client.get(reverse("advocacy:goal_edit", args=[world["goal"].pk])).status_code == 403
    merge_url = reverse("advocacy:contact_merge", args=[world["contact"].pk])
    assert client.get(merge_url).status_code == 403


def test_login_page_signs_in_and_lands_on_the_dashboard(trustee, client):
    response = client.post(
        reverse("login"), {"username": trustee.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("advocacy:dashboard")


def test_header_shows_role_municipality_and_unread_count(world, trustee, signed_in):
    response = signed_in(trustee).get(reverse("advocacy:dashboard"))
    html = response.content.decode()
    assert trustee.municipality.name in html
    assert str(trustee.get_role_display()) in html
    assert '<span class="badge">1<' in html

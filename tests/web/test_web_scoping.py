"""A restricted meeting never shows to anyone but its author and participants: not on a contact's
timeline, the dashboard, search, lists or counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import Topic, Visibility
from crm import services as crm_services
from crm.models import Network, NetworkMembership, Organisation

SECRET = "Salainen neuvottelu"


@pytest.fixture
def restricted(trustee):
    organisation = Organisation.objects.create(name="Valtiovarainministeriö")
    contact = crm_services.create_contact(
        by=trustee, first_name="Sanna", last_name="Salainen", organisation=organisation
    )
    topic = Topic.objects.create(name="Kuntatalous")
    network = Network.objects.create(name="Rahoitusverkosto")
    NetworkMembership.objects.create(network=network, contact=contact)
    meeting = services.log_meeting(
        author=trustee,
        title=SECRET,
        notes="luottamuksellinen",
        visibility=Visibility.RESTRICTED,
        contacts=[contact],
        topics=[topic],
    )
    return {
        "meeting": meeting,
        "contact": contact,
        "organisation": organisation,
        "topic": topic,
        "network": network,
    }


def pages_showing_meetings(restricted) -> list[str]:
    return [
        reverse("advocacy:dashboard"),
        reverse("advocacy:contact_detail", args=[restricted["contact"].pk]),
        reverse("advocacy:organisation_detail", args=[restricted["organisation"].pk]),
        reverse("advocacy:topic_detail", args=[restricted["topic"].pk]),
        reverse("advocacy:network_detail", args=[restricted["network"].pk]),
        reverse("advocacy:search") + "?q=salainen",
    ]


def test_restricted_meeting_is_hidden_from_a_trustee_of_another_municipality(
    restricted, other_trustee, signed_in
):
    client = signed_in(other_trustee)
    for url in pages_showing_meetings(restricted):
        html = client.get(url).content.decode()
        assert SECRET not in html, url
    meeting_url = reverse("advocacy:meeting_detail", args=[restricted["meeting"].pk])
    assert client.get(meeting_url).status_code == 404


def test_restricted_meeting_is_hidden_from_the_coordinator_too(restricted, coordinator, signed_in):
    client = signed_in(coordinator)
    for url in pages_showing_meetings(restricted):
        assert SECRET not in client.get(url).content.decode(), url


def test_restricted_meeting_is_not_counted_on_the_contact_timeline(
    restricted, other_trustee, trustee, signed_in
):
    services.log_meeting(author=trustee, title="Avoin tapaaminen", contacts=[restricted["contact"]])
    url = reverse("advocacy:contact_detail", args=[restricted["contact"].pk])
    assert signed_in(other_trustee).get(url).context["page"].paginator.count == 1
    assert signed_in(trustee).get(url).context["page"].paginator.count == 2


def test_restricted_meeting_shows_to_its_author_everywhere(restricted, trustee, signed_in):
    client = signed_in(trustee)
    for url in pages_showing_meetings(restricted):
        assert SECRET in client.get(url).content.decode(), url


def test_municipality_meeting_shows_to_colleagues_of_the_municipality_only(
    trustee, make_user, other_trustee, signed_in
):
    colleague = make_user(municipality=trustee.municipality)
    meeting = services.log_meeting(
        author=trustee, title="Kunnan oma palaveri", visibility=Visibility.MUNICIPALITY
    )
    url = reverse("advocacy:meeting_detail", args=[meeting.pk])
    assert signed_in(colleague).get(url).status_code == 200
    assert signed_in(other_trustee).get(url).status_code == 404
    dashboard = signed_in(other_trustee).get(reverse("advocacy:dashboard")).content.decode()
    assert "Kunnan oma palaveri" not in dashboard


def test_follow_up_of_a_restricted_meeting_is_hidden_from_others(
    restricted, trustee, other_trustee, signed_in
):
    follow_up = services.add_follow_up(
        by=trustee,
        meeting=restricted["meeting"],
        description="Salainen jatkotoimi",
        assignee=trustee,
        due_date=restricted["meeting"].occurred_at.date(),
    )
    client = signed_in(other_trustee)
    assert client.get(reverse("advocacy:follow_up_detail", args=[follow_up.pk])).status_code == 404
    contact_url = reverse("advocacy:contact_detail", args=[restricted["contact"].pk])
    assert "Salainen jatkotoimi" not in client.get(contact_url).content.decode()
    done_url = reverse("advocacy:follow_up_complete", args=[follow_up.pk])
    assert client.post(done_url).status_code == 404


def test_coordinator_dashboard_does_not_date_a_restricted_meeting(trustee, coordinator, signed_in):
    contact = crm_services.create_contact(by=trustee, last_name="Päättäjä", is_decision_maker=True)
    long_ago = timezone.now() - datetime.timedelta(days=200)
    services.log_meeting(
        author=trustee,
        title="Vanha salainen",
        contacts=[contact],
        visibility=Visibility.RESTRICTED,
        occurred_at=long_ago,
    )
    response = signed_in(coordinator).get(reverse("advocacy:dashboard"))
    assert list(response.context["stale_contacts"]) == [contact]
    assert response.context["stale_contacts"][0].last_met_visible is None
    assert timezone.localtime(long_ago).strftime("%-d.%-m.%Y") not in response.content.decode()

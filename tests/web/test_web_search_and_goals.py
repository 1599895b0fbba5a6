"""One search box over everything, tolerant of Finnish letters and typos; topics and goals with
their joint positions and progress trail."""

from __future__ import annotations

import datetime

from django.urls import reverse

from advocacy import services
from advocacy.models import EndorsementState, Goal, GoalEndorsement, GoalStatus, Topic
from crm import services as crm_services
from crm.models import Organisation


def search(client, text):
    return client.get(reverse("advocacy:search"), {"q": text}).context["results"]


def test_search_ignores_accents_and_finds_partial_and_misspelt_names(trustee, signed_in):
    jarvinen = crm_services.create_contact(by=trustee, first_name="Jääkko", last_name="Järvinen")
    crm_services.create_contact(by=trustee, first_name="Matti", last_name="Mäkinen")
    org = Organisation.objects.create(name="Pohjois-Savon liitto")
    topic = Topic.objects.create(name="Ikäystävällinen asuminen")
    client = signed_in(trustee)
    assert search(client, "jarvinen")["contacts"] == [jarvinen]
    assert search(client, "JÄRV")["contacts"] == [jarvinen]
    assert search(client, "Jarvinne")["contacts"] == [jarvinen]  # misspelt
    assert search(client, "jaakko jarvinen")["contacts"] == [jarvinen]
    assert search(client, "savon")["organisations"] == [org]
    assert search(client, "ikaystavallinen")["topics"] == [topic]


def test_search_ranks_the_closest_name_first(trustee, signed_in):
    close = crm_services.create_contact(by=trustee, last_name="Virtanen")
    crm_services.create_contact(by=trustee, last_name="Virtanen-Korhonen", first_name="Ville")
    assert search(signed_in(trustee), "Virtanen")["contacts"][0] == close


def test_search_finds_visible_meetings_and_goals(trustee, signed_in):
    topic = Topic.objects.create(name="Liikenne")
    goal = Goal.objects.create(topic=topic, title="Rautatieyhteys Helsinkiin")
    meeting = services.log_meeting(author=trustee, title="Rautatiepalaveri")
    results = search(signed_in(trustee), "rautatie")
    assert results["goals"] == [goal]
    assert results["meetings"] == [meeting]


def test_empty_and_hostile_queries_are_harmless(trustee, signed_in):
    client = signed_in(trustee)
    for text in ["", "   ", "\x00", "%", "_", "a" * 500, "' OR 1=1 --"]:
        assert client.get(reverse("advocacy:search"), {"q": text}).status_code == 200


def test_goal_page_shows_a_row_per_municipality(coordinator, signed_in, keitele):
    topic = Topic.objects.create(name="Markkinointi")
    goal = Goal.objects.create(topic=topic, title="Yhteinen alueen markkinointi")
    client = signed_in(coordinator)
    response = client.post(
        reverse("advocacy:goal_endorsement", args=[goal.pk]),
        {
            "municipality": keitele.pk,
            "state": EndorsementState.ENDORSED,
            "deciding_body": "kunnanhallitus",
            "decision_date": "2026-03-12",
            "minutes_reference": "KH 12.3.2026 § 45",
        },
    )
    assert response.status_code == 302
    endorsement = GoalEndorsement.objects.get()
    assert endorsement.decision_date == datetime.date(2026, 3, 12)
    positions = client.get(reverse("advocacy:goal_detail", args=[goal.pk])).context["positions"]
    assert len(positions) == 6
    assert dict((m.name, e) for m, e in positions)["Keitele"] == endorsement


def test_endorsement_without_decision_date_is_refused_with_a_message(
    coordinator, signed_in, keitele
):
    goal = Goal.objects.create(topic=Topic.objects.create(name="T"), title="G")
    response = signed_in(coordinator).post(
        reverse("advocacy:goal_endorsement", args=[goal.pk]),
        {"municipality": keitele.pk, "state": EndorsementState.ENDORSED},
        follow=True,
    )
    assert response.status_code == 200
    assert not GoalEndorsement.objects.exists()
    assert list(response.context["messages"])


def test_goal_owner_records_progress(trustee, signed_in):
    goal = Goal.objects.create(
        topic=Topic.objects.create(name="Aihe"), title="Tavoite", owner=trustee
    )
    response = signed_in(trustee).post(
        reverse("advocacy:goal_progress", args=[goal.pk]),
        {"status": GoalStatus.ACTIVE, "progress": 30, "note": "Hyvä alku"},
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.status, goal.progress) == (GoalStatus.ACTIVE, 30)
    assert goal.progress_trail.get().note == "Hyvä alku"


def test_other_trustee_may_not_record_progress(trustee, other_trustee, signed_in):
    goal = Goal.objects.create(topic=Topic.objects.create(name="A"), title="T", owner=trustee)
    url = reverse("advocacy:goal_progress", args=[goal.pk])
    assert (
        signed_in(other_trustee).post(url, {"status": "active", "progress": 1}).status_code == 403
    )


def test_coordinator_creates_topic_and_goal(coordinator, signed_in, keitele):
    client = signed_in(coordinator)
    response = client.post(
        reverse("advocacy:topic_create"),
        {"name": "Ilmastotyö", "status": "active", "priority": 2, "municipalities": [keitele.pk]},
    )
    topic = Topic.objects.get()
    assert response.url == reverse("advocacy:topic_detail", args=[topic.pk])
    response = client.post(
        reverse("advocacy:goal_create"),
        {"topic": topic.pk, "title": "Päästöt puoleen", "status": "proposed", "progress": 0},
    )
    goal = Goal.objects.get()
    assert goal.topic == topic
    response = client.post(
        reverse("advocacy:goal_edit", args=[goal.pk]),
        {"topic": topic.pk, "title": "Päästöt puoleen 2030", "target_date": "2030-12-31"},
    )
    goal.refresh_from_db()
    assert goal.title == "Päästöt puoleen 2030"

"""axe-core, run in the page, finds no serious or critical WCAG 2.1 A/AA violation on the main
pages (phone and desktop), including the meeting form with open pickers and with errors."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from advocacy import services
from advocacy.models import Goal, GoalEndorsement, Notification, ReminderKind, Topic, Visibility
from crm import services as crm_services
from crm.models import Network, NetworkMembership, Organisation
from tests.factories import UserFactory, municipality

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def world():
    keitele = municipality("Keitele")
    trustee = UserFactory(
        username="liisa",
        first_name="Liisa",
        last_name="Luottamus",
        trustee=True,
        municipality=keitele,
    )
    UserFactory(username="kaisa", first_name="Kaisa", last_name="Koordinaattori", coordinator=True)
    organisation = Organisation.objects.create(name="Pohjois-Savon liitto", kind="regional_council")
    contact = crm_services.create_contact(
        by=trustee,
        first_name="Päivi",
        last_name="Östman",
        title="Maakuntajohtaja",
        organisation=organisation,
        is_decision_maker=True,
    )
    topic = Topic.objects.create(name="Liikenneyhteydet", owner=trustee)
    goal = Goal.objects.create(topic=topic, title="Valtatie 9 kuntoon", owner=trustee, progress=40)
    GoalEndorsement.objects.create(
        goal=goal, municipality=keitele, state="endorsed", decision_date=datetime.date(2026, 3, 1)
    )
    meeting = services.log_meeting(
        author=trustee,
        title="Maakuntajohtajan tapaaminen",
        contacts=[contact],
        topics=[topic],
        goals=[goal],
        notes="Muistiinpanot",
        outcomes="Sovittiin jatkosta",
        visibility=Visibility.MUNICIPALITY,
        follow_ups=[
            services.NewFollowUp(
                description="Lähetä muistio",
                assignee=trustee,
                due_date=timezone.localdate() - datetime.timedelta(days=1),
            )
        ],
    )
    network = Network.objects.create(name="Maakunnan foorumi")
    NetworkMembership.objects.create(network=network, contact=contact, role="jäsen")
    Notification.objects.create(
        recipient=trustee, kind=ReminderKind.FOLLOW_UP_OVERDUE, subject="Muistio myöhässä"
    )
    return {
        "contact": contact,
        "organisation": organisation,
        "topic": topic,
        "goal": goal,
        "meeting": meeting,
        "follow_up": meeting.follow_ups.get(),
        "network": network,
    }


def serious_violations(page) -> list[dict]:
    page.evaluate(AXE + "\n;void 0")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page, label: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{label} ({page.url}):\n" + json.dumps(violations, indent=2)


def pages(world) -> list[str]:
    return [
        "/",
        "/meetings/new/",
        f"/meetings/{world['meeting'].pk}/",
        "/contacts/",
        f"/contacts/{world['contact'].pk}/",
        f"/contacts/{world['contact'].pk}/edit/",
        "/organisations/",
        f"/organisations/{world['organisation'].pk}/",
        "/networks/",
        f"/networks/{world['network'].pk}/",
        "/topics/",
        f"/topics/{world['topic'].pk}/",
        f"/goals/{world['goal'].pk}/",
        "/follow-ups/",
        f"/follow-ups/{world['follow_up'].pk}/",
        "/notifications/",
        "/search/?q=ostman",
    ]


def test_sign_in_page_is_accessible(new_page, world):
    page = new_page()
    page.goto("/accounts/login/")
    assert_accessible(page, "sign-in")
    page.fill("#id_username", "liisa")
    page.fill("#id_password", "wrong password")
    page.click("main button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "sign-in with an error")


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_main_pages_are_accessible(new_page, world, sign_in, viewport):
    page = new_page(viewport) if viewport else new_page()
    sign_in(page, "liisa")
    for url in pages(world):
        page.goto(url)
        assert_accessible(page, url)


def test_coordinator_dashboard_is_accessible(new_page, world, sign_in):
    page = new_page()
    sign_in(page, "kaisa")
    assert_accessible(page, "coordinator dashboard")
    page.goto(f"/goals/{world['goal'].pk}/")
    for summary in page.locator("details.add-form summary").all():
        summary.click()
    assert_accessible(page, "goal page with its forms open")


def test_meeting_form_with_pickers_rows_and_errors_is_accessible(new_page, world, sign_in):
    page = new_page()
    sign_in(page, "liisa")
    page.goto("/meetings/new/")
    page.fill("#contacts-q", "ostm")
    page.wait_for_selector("#contacts-results li input")
    page.locator('[data-formset="follow_ups"] [data-formset-add]').click()
    page.locator('[data-formset="new_contacts"] [data-formset-add]').click()
    assert_accessible(page, "meeting form with a picker open and new rows")
    page.fill("#id_title", "")
    page.fill("#id_follow_ups-0-description", "Tehtävä")
    page.fill("#id_follow_ups-0-due_date", "")
    page.click("form.meeting-form button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert_accessible(page, "meeting form with errors")

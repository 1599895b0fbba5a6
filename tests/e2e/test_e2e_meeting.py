"""A trustee logs a meeting on a phone, and everyone concerned sees it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from advocacy.models import FollowUp, Meeting
from crm.models import Contact
from tests.factories import UserFactory, municipality

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people():
    trustee = UserFactory(
        username="liisa",
        first_name="Liisa",
        last_name="Luottamus",
        trustee=True,
        municipality=municipality("Keitele"),
    )
    colleague = UserFactory(
        username="ville",
        first_name="Ville",
        last_name="Viranhaltija",
        staff=True,
        municipality=municipality("Tervo"),
    )
    return trustee, colleague


def test_trustee_logs_a_meeting_on_a_phone(new_page, people, sign_in):
    trustee, colleague = people
    page = new_page()
    sign_in(page, "liisa")

    page.click("a.log-meeting")
    page.wait_for_url("**/meetings/new/")
    # The time defaults to now.
    assert page.input_value("#id_occurred_at")
    page.fill("#id_title", "Tapaaminen maakuntajohtajan kanssa")

    # A participant met for the first time: type the name, create the contact inline.
    page.fill("#contacts-q", "Maija Meikäläinen")
    page.click("button[data-new-contact]")
    expect(page.locator("#id_new_contacts-0-last_name")).to_have_value("Meikäläinen")
    expect(page.locator("#id_new_contacts-0-first_name")).to_have_value("Maija")
    page.fill("#id_new_contacts-0-title", "Maakuntajohtaja")

    page.fill("#id_notes", "Keskusteltiin valtatie 9:n rahoituksesta.")

    # Two follow-ups: one for the colleague, one for me.
    add_follow_up = page.locator('[data-formset="follow_ups"] [data-formset-add]')
    add_follow_up.click()
    page.fill("#id_follow_ups-0-description", "Lähetä muistio maakuntajohtajalle")
    page.select_option("#id_follow_ups-0-assignee", str(colleague.pk))
    add_follow_up.click()
    page.fill("#id_follow_ups-1-description", "Varaa seuraava tapaaminen")
    expect(page.locator("#id_follow_ups-1-assignee")).to_have_value(str(trustee.pk))

    page.click("form.meeting-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
    expect(page.locator(".message.success")).to_be_visible()

    meeting = Meeting.objects.get(title="Tapaaminen maakuntajohtajan kanssa")
    contact = Contact.objects.get(last_name="Meikäläinen", first_name="Maija")
    assert list(meeting.contacts.all()) == [contact]
    assert FollowUp.objects.filter(meeting=meeting).count() == 2

    # The new contact's page shows the meeting on the timeline.
    page.click(f'a[href="/contacts/{contact.pk}/"]')
    expect(page.locator(".timeline-list")).to_contain_text("Tapaaminen maakuntajohtajan kanssa")

    # The colleague sees the follow-up on the dashboard.
    other = new_page()
    sign_in(other, "ville")
    expect(other.locator("#fu-heading + ul")).to_contain_text("Lähetä muistio maakuntajohtajalle")


def test_language_switch_is_remembered_on_the_user(new_page, people, sign_in):
    trustee, _ = people
    page = new_page()
    sign_in(page, "liisa")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("a.log-meeting")).to_have_text("Kirjaa tapaaminen")

    page.click('.language-switch button[value="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("a.log-meeting")).to_have_text("Log a meeting")
    trustee.refresh_from_db()
    assert trustee.language == "en"

    page.click('.language-switch button[value="fi"]')
    expect(page.locator("html")).to_have_attribute("lang", "fi")


def test_meeting_draft_survives_a_reload_and_is_cleared_after_saving(new_page, people, sign_in):
    page = new_page()
    sign_in(page, "liisa")
    page.goto("/meetings/new/")
    page.fill("#id_title", "Luonnos joka ei saa kadota")
    page.fill("#id_notes", "Pitkät muistiinpanot")
    page.locator('[data-formset="follow_ups"] [data-formset-add]').click()
    page.fill("#id_follow_ups-0-description", "Soita takaisin")
    page.wait_for_timeout(600)  # the draft is saved 300 ms after typing stops

    page.reload()
    expect(page.locator("[data-draft-notice]")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Luonnos joka ei saa kadota")
    expect(page.locator("#id_notes")).to_have_value("Pitkät muistiinpanot")
    expect(page.locator("#id_follow_ups-0-description")).to_have_value("Soita takaisin")

    page.click("form.meeting-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
    assert FollowUp.objects.get().description == "Soita takaisin"
    page.goto("/meetings/new/")
    expect(page.locator("#id_title")).to_have_value("")
    expect(page.locator("[data-draft-notice]")).to_be_hidden()


def test_failed_submit_keeps_everything_typed(new_page, people, sign_in):
    page = new_page()
    sign_in(page, "liisa")
    page.goto("/meetings/new/")
    page.fill("#id_notes", "Tärkeä muistiinpano ilman otsikkoa")
    page.fill("#id_title", "")
    page.click("form.meeting-form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#id_notes")).to_have_value("Tärkeä muistiinpano ilman otsikkoa")
    expect(page.locator("#id_title")).to_have_attribute("aria-invalid", "true")
    assert not Meeting.objects.exists()

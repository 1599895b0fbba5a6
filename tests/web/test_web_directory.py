"""Contacts, organisations and networks: lists with filters, edits through the services,
Finnish validation messages, merging duplicates, the language switch."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from advocacy import services
from crm import services as crm_services
from crm.models import Contact, Network, NetworkMembership, Organisation, OrganisationKind, Tag


def test_contact_filters(trustee, keitele, signed_in):
    ministry = Organisation.objects.create(name="Ministeriö", kind=OrganisationKind.MINISTRY)
    tag = Tag.objects.create(name="liikenne")
    met = crm_services.create_contact(
        by=trustee, last_name="Tavattu", is_decision_maker=True, organisation=ministry
    )
    never = crm_services.create_contact(
        by=trustee, last_name="Tapaamaton", is_decision_maker=True, municipality=keitele, tags=[tag]
    )
    crm_services.create_contact(by=trustee, last_name="Tavallinen")
    services.log_meeting(author=trustee, title="Tapaaminen", contacts=[met])
    client = signed_in(trustee)
    url = reverse("crm:contact_list")

    def listed(**params):
        return {c.pk for c in client.get(url, params).context["page"].object_list}

    assert listed(decision_maker="on") == {met.pk, never.pk}
    assert listed(decision_maker="on", not_met_days="30") == {never.pk}
    assert listed(municipality=keitele.pk) == {never.pk}
    assert listed(organisation_kind="ministry") == {met.pk}
    assert listed(tag=tag.pk) == {never.pk}
    assert listed(q="tapaamaton") == {never.pk}


def test_contact_list_paginates(trustee, signed_in):
    for i in range(30):
        Contact.objects.create(last_name=f"Henkilö {i:02d}")
    client = signed_in(trustee)
    first = client.get(reverse("crm:contact_list"))
    second = client.get(reverse("crm:contact_list"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5


def test_bad_filter_values_are_not_errors(trustee, signed_in):
    response = signed_in(trustee).get(
        reverse("crm:contact_list"), {"municipality": "x", "not_met_days": "-1", "q": "a\x00b"}
    )
    assert response.status_code == 200


def test_create_contact_shows_validation_errors_in_finnish(trustee, signed_in):
    response = signed_in(trustee).post(
        reverse("crm:contact_create"),
        {"last_name": "", "email": "ei-sähköposti", "influence_level": 2, "lawful_basis": "x"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tämä kenttä vaaditaan." in html
    assert "Syötä kelvollinen sähköpostiosoite." in html
    assert not Contact.objects.exists()


def test_create_and_edit_contact_record_history(trustee, signed_in):
    client = signed_in(trustee)
    response = client.post(
        reverse("crm:contact_create"),
        {
            "first_name": "Eeva",
            "last_name": "Esimerkki",
            "influence_level": 2,
            "lawful_basis": "public_task",
            "phone": "040 123 4567",
        },
    )
    contact = Contact.objects.get()
    assert response.url == reverse("advocacy:contact_detail", args=[contact.pk])
    assert contact.created_by == trustee
    response = client.post(
        reverse("crm:contact_edit", args=[contact.pk]),
        {
            "first_name": "Eeva",
            "last_name": "Esimerkki-Uusi",
            "influence_level": 3,
            "lawful_basis": "public_task",
            "relationship_owners": [trustee.pk],
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_name == "Esimerkki-Uusi"
    assert list(contact.relationship_owners.all()) == [trustee]
    page = client.get(reverse("advocacy:contact_detail", args=[contact.pk]))
    history = page.context["history"]
    assert [row["label"] for row in history][:2] == ["update", "insert"]
    assert history[0]["user"] == trustee


def test_coordinator_merges_a_duplicate(coordinator, trustee, signed_in):
    survivor = crm_services.create_contact(by=trustee, first_name="Pekka", last_name="Pouta")
    duplicate = crm_services.create_contact(
        by=trustee, first_name="Pekka", last_name="Pouta", email="pekka@example.fi"
    )
    meeting = services.log_meeting(author=trustee, title="Vanha tapaaminen", contacts=[duplicate])
    response = signed_in(coordinator).post(
        reverse("advocacy:contact_merge", args=[survivor.pk]),
        {"duplicate": duplicate.pk, "confirm": "on"},
    )
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=duplicate.pk).exists()
    survivor.refresh_from_db()
    assert survivor.email == "pekka@example.fi"
    assert list(meeting.contacts.all()) == [survivor]


def test_merge_needs_confirmation(coordinator, trustee, signed_in):
    survivor = crm_services.create_contact(by=trustee, last_name="Yksi")
    duplicate = crm_services.create_contact(by=trustee, last_name="Kaksi")
    response = signed_in(coordinator).post(
        reverse("advocacy:contact_merge", args=[survivor.pk]), {"duplicate": duplicate.pk}
    )
    assert response.status_code == 200
    assert Contact.objects.filter(pk=duplicate.pk).exists()


def test_organisation_create_validates_business_id(trustee, signed_in):
    client = signed_in(trustee)
    response = client.post(
        reverse("crm:organisation_create"),
        {"name": "Yritys Oy", "kind": "company", "business_id": "1234567-2"},
    )
    assert response.status_code == 200
    assert not Organisation.objects.exists()
    response = client.post(
        reverse("crm:organisation_create"),
        {"name": "Yritys Oy", "kind": "company", "business_id": "0112038-9"},
    )
    assert response.status_code == 302
    assert Organisation.objects.get().business_id == "0112038-9"


def test_organisation_cannot_be_its_own_parent(trustee, signed_in):
    organisation = Organisation.objects.create(name="Emo")
    response = signed_in(trustee).post(
        reverse("crm:organisation_edit", args=[organisation.pk]),
        {"name": "Emo", "kind": "other", "parent": organisation.pk},
    )
    assert response.status_code == 200
    organisation.refresh_from_db()
    assert organisation.parent is None


def test_network_members_are_added_and_removed(trustee, signed_in):
    network = Network.objects.create(name="Foorumi")
    contact = crm_services.create_contact(by=trustee, last_name="Jäsen")
    client = signed_in(trustee)
    client.post(
        reverse("crm:network_member_add", args=[network.pk]),
        {"member-contact": contact.pk, "member-role": "puheenjohtaja"},
    )
    membership = NetworkMembership.objects.get()
    assert (membership.contact, membership.role) == (contact, "puheenjohtaja")
    # Adding the same contact again is refused with a message, not an error page.
    response = client.post(
        reverse("crm:network_member_add", args=[network.pk]),
        {"member-contact": contact.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert NetworkMembership.objects.count() == 1
    client.post(reverse("crm:network_member_remove", args=[network.pk, membership.pk]))
    assert not NetworkMembership.objects.exists()


def test_network_page_lists_meetings_of_members_in_time_order(trustee, signed_in):
    network = Network.objects.create(name="Foorumi")
    member = crm_services.create_contact(by=trustee, last_name="Jäsen")
    outsider = crm_services.create_contact(by=trustee, last_name="Ulkopuolinen")
    NetworkMembership.objects.create(network=network, contact=member)
    now = timezone.now()
    older = services.log_meeting(
        author=trustee, title="Vanhempi", contacts=[member], occurred_at=now - datetime.timedelta(2)
    )
    newer = services.log_meeting(
        author=trustee, title="Uudempi", contacts=[member], occurred_at=now
    )
    services.log_meeting(author=trustee, title="Muu", contacts=[outsider])
    response = signed_in(trustee).get(reverse("advocacy:network_detail", args=[network.pk]))
    assert list(response.context["page"].object_list) == [newer, older]


def test_language_switch_saves_the_users_choice(trustee, signed_in):
    client = signed_in(trustee)
    response = client.post(reverse("crm:set_language"), {"language": "en", "next": "/contacts/"})
    assert response.url == "/contacts/"
    trustee.refresh_from_db()
    assert trustee.language == "en"
    html = client.get(reverse("crm:contact_list")).content.decode()
    assert '<html lang="en">' in html


def test_language_switch_refuses_foreign_redirects(trustee, signed_in):
    response = signed_in(trustee).post(
        reverse("crm:set_language"), {"language": "fi", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_finnish_is_the_default_language(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert '<html lang="fi">' in html

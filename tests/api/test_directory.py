"""The shared directory through the API: contacts, organisations, networks and their members."""

from __future__ import annotations

import pytest

from crm.models import Contact, NetworkMembership, Organisation, Tag
from tests.api.helpers import results
from tests.factories import (
    ContactFactory,
    ContactPositionFactory,
    MeetingFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(trustee, coordinator):
    """Messages asserted word for word are in English (the users' own setting)."""
    for user in (trustee, coordinator):
        user.language = "en"
        user.save()


# --- Contacts ---------------------------------------------------------------------------------


def test_staff_adds_a_contact_with_tags_by_name_and_owners(client_for, staff, trustee):
    TagFactory(name="Kansanedustaja")

    response = client_for(staff).post(
        "/api/v1/contacts/",
        {
            "first_name": "Maija",
            "last_name": "Meikäläinen",
            "phone": "040 123 4567",
            "tags": ["kansanedustaja", "Valtiovarainvaliokunta"],
            "relationship_owners": [trustee.pk],
        },
    )

    assert response.status_code == 201, response.json()
    contact = Contact.objects.get(pk=response.json()["id"])
    assert sorted(contact.tags.values_list("name", flat=True)) == [
        "Kansanedustaja",
        "Valtiovarainvaliokunta",
    ]
    assert Tag.objects.count() == 2  # the known tag reused whatever its case
    assert list(contact.relationship_owners.all()) == [trustee]
    assert contact.created_by == staff
    assert response.json()["phone"] == "+358 40 1234567"


def test_an_invalid_phone_number_is_a_field_error(client_for, staff):
    response = client_for(staff).post("/api/v1/contacts/", {"last_name": "Virtanen", "phone": "12"})

    assert response.status_code == 400
    assert list(response.json()) == ["phone"]


def test_contact_is_archived_and_restored_by_patch(client_for, staff):
    contact = ContactFactory()
    url = f"/api/v1/contacts/{contact.pk}/"

    archived = client_for(staff).patch(url, {"archived": True, "version": 1})
    restored = client_for(staff).patch(url, {"archived": False, "version": 2})

    assert archived.json()["archived"] is True
    assert restored.json()["archived"] is False
    contact.refresh_from_db()
    assert (contact.archived_at, contact.version) == (None, 3)


def test_deleting_a_contact_anonymises_it_and_keeps_its_meetings(client_for, coordinator, trustee):
    contact = ContactFactory(first_name="Pekka", last_name="Poistettava", email="p@example.fi")
    meeting = MeetingFactory(author=trustee, contacts=[contact])

    response = client_for(coordinator).delete(f"/api/v1/contacts/{contact.pk}/")

    assert response.status_code == 204
    contact.refresh_from_db()
    assert contact.is_anonymised
    assert (contact.first_name, contact.email) == ("", "")
    assert list(meeting.contacts.all()) == [contact]
    shown = client_for(coordinator).get(f"/api/v1/contacts/{contact.pk}/").json()
    assert shown["anonymised_at"] is not None


def test_an_anonymised_contact_cannot_be_changed(client_for, coordinator, english):
    contact = ContactFactory()
    client_for(coordinator).delete(f"/api/v1/contacts/{contact.pk}/")

    response = client_for(coordinator).patch(
        f"/api/v1/contacts/{contact.pk}/", {"first_name": "Takaisin", "version": 2}
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["An anonymised contact cannot be changed."]}


def test_contact_detail_shows_positions_and_networks(client_for, trustee):
    contact = ContactFactory()
    position = ContactPositionFactory(contact=contact, title="Valtiosihteeri")
    membership = NetworkMembershipFactory(contact=contact, role="puheenjohtaja")

    body = client_for(trustee).get(f"/api/v1/contacts/{contact.pk}/").json()

    assert [p["title"] for p in body["positions"]] == [position.title]
    assert body["memberships"] == [
        {
            "id": membership.pk,
            "network": {"id": membership.network_id, "name": membership.network.name},
            "role": "puheenjohtaja",
            "since": None,
        }
    ]


def test_contact_detail_is_the_same_read_with_or_without_filters(
    client_for, trustee, other_trustee
):
    # Without query parameters the row is read by SQL compiled once per process
    # (ContactViewSet.row_lookup); with them, through the filters as DRF reads it.
    contact = ContactFactory(tags=[TagFactory(name="vesi")])
    ContactPositionFactory(contact=contact)
    NetworkMembershipFactory(contact=contact)
    MeetingFactory(author=trustee, contacts=[contact])
    MeetingFactory(author=other_trustee, visibility="restricted", contacts=[contact])
    url = f"/api/v1/contacts/{contact.pk}/"
    client = client_for(trustee)

    compiled = client.get(url)
    filtered = client.get(url, {"archived": "false"})

    assert compiled.status_code == filtered.status_code == 200
    assert compiled.json() == filtered.json()
    assert compiled["ETag"] == filtered["ETag"]
    assert compiled.json()["meeting_count"] == 1  # the restricted meeting is not the viewer's
    assert client.get(url, {"archived": "true"}).status_code == 404
    assert client.get(url, {"arkistoitu": "true"}).status_code == 400


@pytest.mark.parametrize("pk", ["abc", "0", "-1", "99999999999999999999", "1.5"])
def test_a_contact_id_that_is_no_id_is_404(client_for, trustee, pk):
    ContactFactory()

    assert client_for(trustee).get(f"/api/v1/contacts/{pk}/").status_code == 404


# --- Organisations ----------------------------------------------------------------------------


def test_business_id_is_validated_and_stored_in_one_spelling(client_for, staff):
    response = client_for(staff).post(
        "/api/v1/organisations/", {"name": "Yritys Oy", "business_id": "0201256-6"}
    )
    invalid = client_for(staff).post(
        "/api/v1/organisations/", {"name": "Toinen Oy", "business_id": "1234567-8"}
    )

    assert response.status_code == 201
    assert Organisation.objects.get(pk=response.json()["id"]).business_id == "0201256-6"
    assert invalid.status_code == 400
    assert list(invalid.json()) == ["business_id"]


def test_an_organisation_cannot_be_its_own_unit(client_for, staff):
    parent = OrganisationFactory()
    child = OrganisationFactory(parent=parent)

    response = client_for(staff).patch(f"/api/v1/organisations/{parent.pk}/", {"parent": child.pk})

    assert response.status_code == 400
    assert list(response.json()) == ["parent"]
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_an_organisation_with_past_positions_is_not_deleted(client_for, coordinator, english):
    position = ContactPositionFactory()

    response = client_for(coordinator).delete(f"/api/v1/organisations/{position.organisation_id}/")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert Organisation.objects.filter(pk=position.organisation_id).exists()


# --- Networks ---------------------------------------------------------------------------------


def test_members_are_added_changed_and_removed(client_for, trustee):
    network = NetworkFactory()
    contact = ContactFactory()
    organisation = OrganisationFactory()
    client = client_for(trustee)
    members = f"/api/v1/networks/{network.pk}/members/"

    person = client.post(members, {"contact": contact.pk, "role": "jäsen"})
    body = client.post(members, {"organisation": organisation.pk})
    changed = client.patch(f"{members}{person.json()['id']}/", {"role": "puheenjohtaja"})
    removed = client.delete(f"{members}{body.json()['id']}/")

    assert (person.status_code, body.status_code, changed.status_code) == (201, 201, 200)
    assert removed.status_code == 204
    shown = client.get(f"/api/v1/networks/{network.pk}/").json()
    assert shown["members"] == [
        {
            "id": person.json()["id"],
            "contact": {"id": contact.pk, "name": contact.full_name},
            "organisation": None,
            "role": "puheenjohtaja",
            "since": None,
        }
    ]


@pytest.mark.parametrize("body", ["both", "neither", "twice"])
def test_a_member_is_one_contact_or_one_organisation_once(client_for, trustee, body):
    network = NetworkFactory()
    contact = ContactFactory()
    payload = {
        "both": {"contact": contact.pk, "organisation": OrganisationFactory().pk},
        "neither": {"role": "jäsen"},
        "twice": {"contact": contact.pk},
    }[body]
    if body == "twice":
        NetworkMembershipFactory(network=network, contact=contact)

    response = client_for(trustee).post(f"/api/v1/networks/{network.pk}/members/", payload)

    assert response.status_code == 400
    assert NetworkMembership.objects.filter(network=network).count() == (
        1 if body == "twice" else 0
    )


def test_a_member_of_another_network_is_404(client_for, trustee):
    membership = NetworkMembershipFactory()
    other = NetworkFactory()

    response = client_for(trustee).delete(f"/api/v1/networks/{other.pk}/members/{membership.pk}/")

    assert response.status_code == 404
    assert NetworkMembership.objects.filter(pk=membership.pk).exists()


def test_network_list_embeds_members(client_for, trustee):
    membership = NetworkMembershipFactory()

    rows = results(client_for(trustee).get("/api/v1/networks/"))

    assert [m["id"] for m in rows[0]["members"]] == [membership.pk]


# --- Users ------------------------------------------------------------------------------------


def test_users_me_and_the_colleagues_list(client_for, trustee, staff, coordinator):
    me = client_for(trustee).get("/api/v1/users/me/").json()
    coordinators = results(client_for(trustee).get("/api/v1/users/", {"role": "coordinator"}))

    assert (me["id"], me["role"], me["municipality"]) == (
        trustee.pk,
        "trustee",
        trustee.municipality_id,
    )
    assert "password" not in me
    assert [u["id"] for u in coordinators] == [coordinator.pk]

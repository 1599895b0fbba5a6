"""What users type is validated with a clear message on the right field, in Finnish too."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm import services as crm_services
from crm.models import Contact, ContactPosition, Municipality, NetworkMembership, Organisation
from crm.validators import normalise_business_id, validate_business_id
from tests import factories
from tests.factories import ContactFactory, NetworkFactory

pytestmark = pytest.mark.django_db

BUSINESS_ID_MESSAGE = "Enter a valid Finnish business ID (Y-tunnus), e.g. 0201256-6."
PHONE_MESSAGE = "The phone number entered is not valid."
PHONE_MESSAGE_FI = "Syötetty puhelinnumero on virheellinen."
EMAIL_MESSAGE = "Enter a valid email address."
EMAIL_MESSAGE_FI = "Syötä kelvollinen sähköpostiosoite."


def errors_of(instance) -> dict[str, list[str]]:
    """The field errors full_clean() raises for `instance`, as plain strings."""
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


# --- Business ID (Y-tunnus) ------------------------------------------------------------------


@pytest.mark.parametrize("business_id", ["1234567-8", "0201256-7", "201256-6", "0201256-X"])
def test_invalid_business_id_is_rejected_with_a_clear_message(business_id):
    with translation.override("en"):
        errors = errors_of(Organisation(name="Oy Esimerkki Ab", business_id=business_id))

    assert errors == {"business_id": [BUSINESS_ID_MESSAGE]}


def test_invalid_business_id_gives_a_message_on_that_field_in_finnish_too():
    # Our own strings have no Finnish catalog yet: the message must still be there, on its field.
    with translation.override("fi"):
        errors = errors_of(Organisation(name="Oy Esimerkki Ab", business_id="1234567-8"))

    assert list(errors) == ["business_id"]
    assert "0201256-6" in errors["business_id"][0]


def test_invalid_business_id_error_has_a_code_for_the_api():
    with pytest.raises(ValidationError) as caught:
        validate_business_id("1234567-8")

    assert caught.value.code == "invalid_business_id"


def test_valid_business_id_passes():
    Organisation(name="Oy Esimerkki Ab", business_id="0201256-6").full_clean()


def test_empty_business_id_passes():
    Organisation(name="Pielaveden Yrittäjät ry", business_id="").full_clean()


@pytest.mark.parametrize("typed", ["0201256-6", " 0201256-6 ", "02012566"])
def test_business_id_is_normalised_to_its_canonical_form(typed):
    assert normalise_business_id(typed) == "0201256-6"


def test_business_id_typed_without_hyphen_is_stored_in_canonical_form():
    organisation = Organisation(name="Oy Esimerkki Ab", business_id="02012566")

    organisation.full_clean()

    assert organisation.business_id == "0201256-6"


def test_business_id_typed_without_hyphen_is_caught_as_taken():
    Organisation.objects.create(name="Oy Esimerkki Ab", business_id="0201256-6")

    with translation.override("en"):
        errors = errors_of(Organisation(name="Copy Oy", business_id="02012566"))

    assert errors["__all__"] == ["An organisation with this business ID already exists."]


def test_taken_business_id_is_reported_on_full_clean():
    Organisation.objects.create(name="Oy Esimerkki Ab", business_id="0201256-6")

    with translation.override("en"):
        errors = errors_of(Organisation(name="Copy Oy", business_id="0201256-6"))

    assert errors["__all__"] == ["An organisation with this business ID already exists."]


# --- Phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["+358 40 123 4567", "040 1234567", "0401234567", "017 123 4567"])
def test_finnish_phone_number_is_valid_with_or_without_country_code(phone):
    contact = Contact(last_name="Virtanen", phone=phone, mobile_phone=phone)

    contact.full_clean()


def test_phone_number_without_country_code_is_read_as_finnish():
    contact = Contact(last_name="Virtanen", phone="040 1234567")

    contact.full_clean()

    assert contact.phone.as_e164 == "+358401234567"


@pytest.mark.parametrize("field", ["phone", "mobile_phone"])
@pytest.mark.parametrize("phone", ["12345", "040", "+358 40 123"])
def test_invalid_phone_number_of_contact_is_rejected(field, phone):
    with translation.override("en"):
        errors = errors_of(Contact(last_name="Virtanen", **{field: phone}))

    assert errors == {field: [PHONE_MESSAGE]}


def test_invalid_phone_number_of_organisation_is_rejected_in_finnish():
    with translation.override("fi"):
        errors = errors_of(Organisation(name="Oy Esimerkki Ab", phone="12345"))

    assert errors == {"phone": [PHONE_MESSAGE_FI]}


# --- E-mail ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["email", "secondary_email"])
@pytest.mark.parametrize("email", ["matti.virtanen", "matti@", "matti@@example.fi"])
def test_invalid_email_of_contact_is_rejected(field, email):
    with translation.override("en"):
        errors = errors_of(Contact(last_name="Virtanen", **{field: email}))

    assert errors == {field: [EMAIL_MESSAGE]}


def test_invalid_email_is_rejected_with_a_finnish_message():
    with translation.override("fi"):
        errors = errors_of(Organisation(name="Oy Esimerkki Ab", email="toimisto(at)example.fi"))

    assert errors == {"email": [EMAIL_MESSAGE_FI]}


def test_valid_email_passes():
    Contact(last_name="Virtanen", email="matti.virtanen@eduskunta.fi").full_clean()


def test_creating_a_contact_with_invalid_email_saves_nothing(trustee):
    with pytest.raises(ValidationError) as caught:
        crm_services.create_contact(by=trustee, last_name="Virtanen", email="matti.virtanen")

    assert list(caught.value.message_dict) == ["email"]
    assert not Contact.objects.exists()


def test_creating_contacts_at_once_validates_each_and_saves_nothing_when_one_is_invalid(trustee):
    with pytest.raises(ValidationError) as caught:
        crm_services.create_contacts(
            by=trustee,
            contacts=[
                {"last_name": "Virtanen", "email": "matti@example.fi"},
                {"last_name": "Korhonen", "phone": "ei numero"},
            ],
        )

    assert list(caught.value.message_dict) == ["phone"]
    assert not Contact.objects.exists()


# --- Constraint messages reach the user through full_clean -----------------------------------


def test_position_ending_before_it_starts_is_explained():
    position = ContactPosition(
        contact=ContactFactory(),
        title="kansanedustaja",
        start_date=datetime.date(2023, 4, 5),
        end_date=datetime.date(2019, 4, 16),
    )

    with translation.override("en"):
        errors = errors_of(position)

    assert errors == {"__all__": ["A position cannot end before it starts."]}


def test_second_membership_of_contact_in_network_is_explained():
    network, contact = NetworkFactory(), ContactFactory()
    NetworkMembership.objects.create(network=network, contact=contact)

    with translation.override("en"):
        errors = errors_of(NetworkMembership(network=network, contact=contact))

    assert errors == {"__all__": ["This contact is already a member of the network."]}


def test_municipality_without_code_is_explained():
    with translation.override("en"):
        errors = errors_of(Municipality(name="Nilsiä"))

    assert errors == {"__all__": ["A municipality needs a three-digit code."]}


# --- The factories themselves ----------------------------------------------------------------

ALL_FACTORIES = [
    value
    for name, value in vars(factories).items()
    if name.endswith("Factory") and name != "DjangoModelFactory"
]


@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_factory_makes_a_row_that_passes_full_clean(factory):
    instance = factory()

    instance.full_clean()
    assert type(instance).objects.filter(pk=instance.pk).exists()

"""History is recorded by database triggers: every path that edits a row leaves an event."""

from __future__ import annotations

import pghistory
import pytest
from django.apps import apps
from django.db import connection

from advocacy import services
from crm.models import Contact
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

ContactEvent = apps.get_model("crm", "ContactEvent")
UserEvent = apps.get_model("crm", "UserEvent")


def updates_of(contact: Contact):
    return ContactEvent.objects.filter(pgh_obj_id=contact.pk, pgh_label="update").order_by("pgh_id")


def test_creating_a_contact_records_an_insert_event():
    contact = ContactFactory(last_name="Virtanen")

    event = ContactEvent.objects.get(pgh_obj_id=contact.pk)
    assert (event.pgh_label, event.last_name) == ("insert", "Virtanen")


def test_editing_a_contact_through_the_orm_adds_an_event():
    contact = ContactFactory(title="kansanedustaja")

    contact.title = "ministeri"
    contact.save()

    assert list(updates_of(contact).values_list("title", flat=True)) == ["ministeri"]


def test_editing_contacts_with_queryset_update_adds_an_event_per_row():
    first, second = ContactFactory(), ContactFactory()

    Contact.objects.filter(pk__in=[first.pk, second.pk]).update(title="valtiosihteeri")

    assert list(updates_of(first).values_list("title", flat=True)) == ["valtiosihteeri"]
    assert list(updates_of(second).values_list("title", flat=True)) == ["valtiosihteeri"]


def test_editing_a_contact_with_raw_sql_adds_an_event():
    contact = ContactFactory()

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_contact SET email = %s WHERE id = %s", ["uusi@example.fi", contact.pk]
        )

    assert list(updates_of(contact).values_list("email", flat=True)) == ["uusi@example.fi"]


def test_event_made_in_a_history_context_carries_the_acting_user(staff):
    contact = ContactFactory()

    with pghistory.context(user=staff.pk):
        Contact.objects.filter(pk=contact.pk).update(title="kunnanjohtaja")

    event = updates_of(contact).get()
    assert event.pgh_context.metadata["user"] == staff.pk


def test_raw_sql_in_a_history_context_carries_the_acting_user(staff):
    contact = ContactFactory()

    with pghistory.context(user=staff.pk), connection.cursor() as cursor:
        cursor.execute("UPDATE crm_contact SET title = 'pormestari' WHERE id = %s", [contact.pk])

    assert updates_of(contact).get().pgh_context.metadata["user"] == staff.pk


def test_event_made_outside_a_history_context_has_no_context():
    contact = ContactFactory()

    Contact.objects.filter(pk=contact.pk).update(title="kunnanjohtaja")

    assert updates_of(contact).get().pgh_context is None


def test_change_of_only_last_interaction_adds_no_event(now):
    contact = ContactFactory()

    Contact.objects.filter(pk=contact.pk).update(last_interaction_at=now)
    contact.last_interaction_at = now
    contact.save(update_fields=["last_interaction_at"])

    assert not updates_of(contact).exists()


def test_logging_a_meeting_adds_no_event_to_its_contacts(trustee):
    contact = ContactFactory()

    services.log_meeting(author=trustee, title="Tapaaminen", contacts=[contact])

    contact.refresh_from_db()
    assert contact.last_interaction_at is not None
    assert not updates_of(contact).exists()


def test_password_change_leaves_no_trace_in_user_history():
    user = UserFactory()

    user.set_password("an entirely new secret")
    user.save(update_fields=["password"])

    assert not UserEvent.objects.filter(pgh_obj_id=user.pk, pgh_label="update").exists()
    assert not any(field.name == "password" for field in UserEvent._meta.get_fields())

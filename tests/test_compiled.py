"""config.db.compiled.CompiledLookup: a lookup's SQL compiled once per process, its results
the ORM's."""

from __future__ import annotations

import contextlib

import psycopg
import pytest
from django.db import NotSupportedError, connection, transaction
from django.db.models import F

from config.db.compiled import ID_ARRAY_MARKER, CompiledLookup, id_array, in_ids
from crm.api import ContactViewSet
from crm.models import AccessLog, AccessPurpose, Contact, User
from tests.factories import (
    ContactFactory,
    ContactPositionFactory,
    NetworkMembershipFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_values_rows_are_the_orms_with_the_fields_converters_applied():
    # The detail row's arrays of JSON objects go through ArrayField's and JSONField's
    # converters; read as the cursor gives them they would be strings.
    person = ContactFactory(tags=[TagFactory(name="vesi"), TagFactory(name="energia")])
    ContactPositionFactory(contact=person, title="puheenjohtaja")
    NetworkMembershipFactory(contact=person, role="jäsen")
    ContactFactory()
    lookup = CompiledLookup(lambda pk: Contact.objects.detail_rows().filter(pk=pk), marker=-1)

    rows = lookup(person.pk)

    assert rows == [Contact.objects.detail_rows().get(pk=person.pk)]
    assert rows[0]["tag_names"] == ["energia", "vesi"]
    assert rows[0]["positions_json"][0]["title"] == "puheenjohtaja"
    assert rows[0]["memberships_json"][0]["role"] == "jäsen"
    assert lookup(person.pk + 1000) == []


def test_model_instances_are_the_orms(django_assert_num_queries):
    people = UserFactory.create_batch(3)
    lookup = CompiledLookup(lambda name: User.objects.filter(username=name).order_by(), marker="")

    with django_assert_num_queries(1):
        (found,) = lookup(people[1].username)

    expected = User.objects.get(pk=people[1].pk)
    assert found == expected and not found._state.adding
    columns = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(found, name) for name in columns] == [
        getattr(expected, name) for name in columns
    ]
    assert lookup("ei-ole") == []


def test_the_queryset_is_built_and_compiled_once():
    builds = []

    def build(pk):
        builds.append(pk)
        return Contact.objects.filter(pk=pk).values("pk", "last_name")

    lookup = CompiledLookup(build, marker=-1)
    first, second = ContactFactory(), ContactFactory()

    assert lookup(first.pk) == [{"pk": first.pk, "last_name": first.last_name}]
    assert lookup(second.pk) == [{"pk": second.pk, "last_name": second.last_name}]
    assert builds == [-1]


def test_the_views_detail_lookup_is_the_detail_querysets():
    person = ContactFactory()
    ContactPositionFactory(contact=person)

    assert ContactViewSet.row_lookup(person.pk) == [ContactViewSet.detail_rows().get(pk=person.pk)]


def test_a_lookup_by_a_list_of_ids_takes_any_number_of_them(django_assert_num_queries):
    people = ContactFactory.create_batch(4)
    lookup = CompiledLookup(
        lambda ids: Contact.objects.filter(pk__in=in_ids(ids)).values("pk"),
        marker=ID_ARRAY_MARKER,
    )
    wanted = [people[3].pk, people[0].pk, people[3].pk, people[3].pk + 1000]

    with django_assert_num_queries(1):
        rows = lookup(id_array(wanted))

    assert sorted(row["pk"] for row in rows) == sorted([people[0].pk, people[3].pk])
    assert lookup(id_array([people[1].pk])) == [{"pk": people[1].pk}]
    assert lookup(id_array([])) == []


def test_an_id_array_is_of_integers_only():
    assert id_array([3, 1, 2]) == "{3,1,2}"
    with pytest.raises(ValueError):
        id_array(["1}; DROP TABLE crm_contact; --"])


def test_the_views_page_lookup_is_the_list_querysets():
    people = ContactFactory.create_batch(3, tags=[TagFactory()])
    ids = [people[2].pk, people[0].pk]

    rows = ContactViewSet.page_lookup(id_array(ids))

    expected = Contact.objects.list_rows().filter(pk__in=ids)
    assert sorted(rows, key=lambda row: row["id"]) == sorted(expected, key=lambda row: row["id"])


def test_a_page_leaves_out_a_row_gone_between_its_two_reads():
    people = ContactFactory.create_batch(3)
    gone = people[1].pk + 1000  # as if removed after the page's ids were read

    rows = ContactViewSet().page_rows([{"id": people[2].pk}, {"id": gone}, {"id": people[0].pk}])

    assert [row["id"] for row in rows] == [people[2].pk, people[0].pk]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # The marker must stand in one place only: the value goes into that one.
        (lambda pk: Contact.objects.filter(pk=pk, organisation_id=pk).values("pk"), "not 2"),
        (lambda pk: Contact.objects.filter(pk=1).values("pk"), "not 0"),
        (lambda pk: Contact.objects.filter(pk=pk).select_related("organisation"), "one model"),
        (lambda pk: Contact.objects.filter(pk=pk).annotate(n=F("pk")), "one model"),
        (lambda pk: Contact.objects.filter(pk=pk).values_list("pk"), "instances or"),
    ],
)
def test_a_lookup_it_cannot_run_faithfully_is_refused(build, message):
    with pytest.raises(ValueError, match=message):
        CompiledLookup(build, marker=-1)(1)


def _prepared(fragment: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of this connection's prepared statements holding
    `fragment`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


@contextlib.contextmanager
def prepare_threshold(value: int | None):
    """The connection's psycopg `prepare_threshold` (settings: DB_PREPARED_STATEMENTS)."""
    connection.ensure_connection()
    before, connection.connection.prepare_threshold = connection.connection.prepare_threshold, value
    try:
        yield
    finally:
        connection.connection.prepare_threshold = before


def test_the_statement_is_prepared_once_per_connection():
    people = UserFactory.create_batch(2)
    lookup = CompiledLookup(lambda name: User.objects.filter(username=name).values("id"), marker="")

    with prepare_threshold(0):
        for person in people * 2:
            assert lookup(person.username) == [{"id": person.pk}]

    # Parsed once, planned and run four times with the name bound on the server ($1).
    ((generic, custom),) = _prepared('"crm_user"."username" = $1')
    assert generic + custom == 4


def test_nothing_is_prepared_where_the_settings_turn_it_off():
    person = UserFactory()
    lookup = CompiledLookup(lambda pk: User.objects.filter(pk=pk).values("email"), marker=-1)

    with prepare_threshold(None):
        assert lookup(person.pk) == [{"email": person.email}] == lookup(person.pk)

    assert _prepared('"crm_user"."email"') == []


@contextlib.contextmanager
def prepared_target_lookup():
    """An access-log entry and a prepared lookup of its `target`, whose column another
    connection then retypes (as a migration run beside a running worker would), restoring it
    afterwards: (lookup, entry id)."""
    entry = AccessLog.objects.create(user=UserFactory(), purpose=AccessPurpose.API, target="x")
    lookup = CompiledLookup(lambda pk: AccessLog.objects.filter(pk=pk).values("target"), marker=-1)
    with prepare_threshold(0):
        assert lookup(entry.pk) == [{"target": "x"}]
    assert _prepared('"crm_accesslog"."target"')
    params = connection.get_connection_params()
    keys = ("dbname", "user", "password", "host", "port")
    with psycopg.connect(**{key: params[key] for key in keys if key in params}) as other:
        other.autocommit = True
        other.execute("ALTER TABLE crm_accesslog ALTER COLUMN target TYPE varchar(201)")
        try:
            yield lookup, entry.pk
        finally:
            other.execute("ALTER TABLE crm_accesslog ALTER COLUMN target TYPE varchar(200)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_column_retyped_under_a_prepared_statement_is_read_through_a_new_connection():
    # PostgreSQL refuses the prepared statement ("cached plan must not change result type");
    # the lookup reconnects and prepares it afresh.
    with prepared_target_lookup() as (lookup, pk), prepare_threshold(0):
        assert lookup(pk) == [{"target": "x"}]
        assert lookup(pk) == [{"target": "x"}]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_inside_a_transaction_the_retyped_column_fails_once_and_the_connection_is_replaced():
    with prepared_target_lookup() as (lookup, pk):
        with pytest.raises(NotSupportedError), transaction.atomic():
            lookup(pk)
        # The end of the request closes the connection (close_old_connections) ...
        connection.close_if_unusable_or_obsolete()
        assert connection.connection is None
        # ... and the next request prepares the statement afresh.
        with prepare_threshold(0):
            assert lookup(pk) == [{"target": "x"}]

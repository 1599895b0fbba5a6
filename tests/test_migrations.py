"""The data migration crm.0002_municipalities seeds the six municipalities and SavoGrow."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as live_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.models import Municipality

SEEDED = {
    ("Keitele", "239", False),
    ("Pielavesi", "595", False),
    ("Rautalampi", "686", False),
    ("Suonenjoki", "778", False),
    ("Tervo", "844", False),
    ("Vesanto", "921", False),
    ("SavoGrow", None, True),
}
BEFORE_SEEDING = [("crm", "0001_initial")]
SEEDING = importlib.import_module("crm.migrations.0002_municipalities")


def rows(municipalities) -> set[tuple[str, str | None, bool]]:
    return set(municipalities.values_list("name", "code", "is_joint_organisation"))


@pytest.mark.django_db
def test_migrations_seed_exactly_the_six_municipalities_and_the_joint_organisation():
    assert rows(Municipality.objects.all()) == SEEDED


@pytest.mark.django_db
def test_joint_organisation_is_savogrow_without_a_municipality_code():
    joint = Municipality.objects.get(is_joint_organisation=True)

    assert (joint.name, joint.code) == ("SavoGrow", None)


@pytest.mark.django_db
def test_seeding_again_adds_no_second_row_and_restores_official_names():
    Municipality.objects.filter(code="844").update(name="tervo (typo)")

    SEEDING.create_municipalities(live_apps, connection.schema_editor())

    assert rows(Municipality.objects.all()) == SEEDED


# serialized_rollback: this test empties the table on its way back, and a transactional test
# ends with a flush; the seeded rows are restored for the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_backwards_removes_the_municipalities_and_forwards_brings_them_back():
    executor = MigrationExecutor(connection)
    # Every app's latest migration: going back to crm 0001 also unapplies the migrations of
    # other apps that depend on later crm ones (advocacy's search indexes, its vocabulary).
    latest = executor.loader.graph.leaf_nodes()

    executor.migrate(BEFORE_SEEDING)
    old_apps = executor.loader.project_state(BEFORE_SEEDING).apps
    assert not old_apps.get_model("crm", "Municipality").objects.exists()

    executor = MigrationExecutor(connection)  # a fresh loader sees what is applied now
    executor.migrate(latest)
    assert rows(Municipality.objects.all()) == SEEDED

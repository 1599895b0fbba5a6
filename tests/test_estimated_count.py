"""Unfiltered page-numbered lists of big tables report PostgreSQL's row estimate, not a
COUNT(*) of every row (issue 8)."""

import pytest
from django.db import connection

from config.api import EstimatedCountPaginator
from crm.models import Organisation
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def estimate_is_stale():
    """Five organisations as ANALYZE saw them, eight in the table."""
    OrganisationFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Organisation._meta.db_table}")
    OrganisationFactory.create_batch(3)
    return Organisation.objects.count()


def test_a_big_unfiltered_table_gets_the_estimate(estimate_is_stale, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_ABOVE", 1)

    paginator = EstimatedCountPaginator(Organisation.objects.order_by("id"), 2)

    assert paginator.count == estimate_is_stale - 3


def test_a_filtered_list_is_counted_exactly(estimate_is_stale, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_ABOVE", 1)

    paginator = EstimatedCountPaginator(Organisation.objects.filter(pk__gt=0), 2)

    assert paginator.count == estimate_is_stale


def test_a_small_table_is_counted_exactly(estimate_is_stale):
    paginator = EstimatedCountPaginator(Organisation.objects.order_by("id"), 2)

    assert paginator.count == estimate_is_stale

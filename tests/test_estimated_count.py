"""Unfiltered page-numbered lists of big tables report PostgreSQL's row estimate, not a
COUNT(*) of every row (issue 8)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from advocacy.models import FollowUp, FollowUpStatus
from config.api import EstimatedCountPaginator
from crm.models import Organisation
from tests.factories import FollowUpFactory, OrganisationFactory

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


def test_my_open_follow_ups_are_counted_off_the_index_alone(trustee):
    """The exact count of a filtered follow-ups page ("my open follow-ups") needs no row:
    follow_up_open_by_assignee holds every key the list's row query joins on and the
    visibility rule reads. A new join in FollowUpQuerySet.list_rows needs its key there too."""
    FollowUpFactory.create_batch(3, assignee=trustee)
    rows = (
        FollowUp.objects.visible_to(trustee)
        .list_rows()
        .with_meeting_visibility(trustee)
        .filter(assignee=trustee, status=FollowUpStatus.OPEN)
    )
    with CaptureQueriesContext(connection) as queries:
        assert rows.count() == 3
    count_sql = queries.captured_queries[-1]["sql"]

    with transaction.atomic(), connection.cursor() as cursor:
        # Every other way to the rows off: an index-only scan, if the index can answer alone.
        cursor.execute(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;"
            " SET LOCAL enable_indexscan = off"
        )
        cursor.execute(f"EXPLAIN {count_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using follow_up_open_by_assignee" in plan, plan

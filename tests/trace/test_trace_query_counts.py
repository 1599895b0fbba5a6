"""The traceability pages read in a fixed number of queries, however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advocacy import services

from .conftest import at

pytestmark = pytest.mark.usefixtures("pages")

SPRING = {"start": "2026-01-01", "end": "2026-06-30"}


def urls(w):
    return [
        (reverse("trace:report"), SPRING),
        (reverse("trace:report_export", args=["csv"]), SPRING),
        (reverse("trace:report_export", args=["xlsx"]), SPRING),
        (reverse("trace:transparency"), {"half": "2026-1"}),
        (reverse("trace:transparency_export"), {"half": "2026-1"}),
        (reverse("trace:contact_history", args=[w.mp.pk]), {}),
        (reverse("trace:topic_history", args=[w.transport.pk]), {}),
        (reverse("trace:goal_history", args=[w.road.pk]), {}),
        (reverse("trace:organisation_history", args=[w.ministry.pk]), {}),
        (reverse("trace:contact_briefing", args=[w.mp.pk]), {}),
        (reverse("trace:organisation_briefing", args=[w.ministry.pk]), {}),
        (reverse("trace:personal_data", args=[w.mp.pk]), {}),
        (reverse("trace:personal_data_export", args=[w.mp.pk]), {}),
        (reverse("trace:duplicates"), {}),
        (reverse("trace:retention"), {}),
    ]


def more_meetings(world, n):
    for i in range(n):
        services.log_meeting(
            author=world.coordinator,
            title=f"Lisätapaaminen {i}",
            occurred_at=at(2026, 2, 2 + i),
            contacts=[world.mp, world.official, world.entrepreneur],
            topics=[world.transport, world.marketing],
            goals=[world.road, world.brand],
            organisations=[world.ministry, world.council],
        )


def count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_pages_take_as_many_queries_for_many_rows_as_for_one(client, world):
    more_meetings(world, 1)
    client.force_login(world.coordinator)
    few = {url: count(client, url, params) for url, params in urls(world)}

    more_meetings(world, 6)
    many = {url: count(client, url, params) for url, params in urls(world)}

    assert many == few


def test_personal_data_page_queries(client, world, django_assert_num_queries):
    client.force_login(world.coordinator)
    url = reverse("trace:personal_data", args=[world.mp.pk])
    # session, user, the contact with its organisation, the access-log insert (with the
    # history context), the access log about the contact with its users; the shell's unread
    # notification count and the user's municipality; then the session saved on every
    # request (SAVEPOINT, UPDATE, RELEASE).
    with django_assert_num_queries(10):
        client.get(url)

"""Cursor pages as a keyset (config.api.CursorPagination): a deep page starts after the last
row of the page before, with no OFFSET, however many rows share the first ordering field."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import ids
from tests.factories import ContactFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def walk(client, url, params, link):
    """Every page from `url` on, following the `link` ("next" or "previous") of each."""
    pages = []
    while url:
        response = client.get(url, params)
        pages.append(ids(response))
        url, params = response.json()[link], None
    return pages


def test_contacts_sharing_a_last_name_are_paged_through_once_each(client_for, trustee):
    namesakes = [ContactFactory(last_name="Mäkelä") for _ in range(7)]
    others = [ContactFactory(last_name=name) for name in ("Aho", "Öhman", "Mäki")]
    expected = [
        contact.pk for contact in sorted([*namesakes, *others], key=lambda c: (c.last_name, c.pk))
    ]
    client = client_for(trustee)

    forward = walk(client, "/api/v1/contacts/", {"page_size": 3}, "next")
    assert [pk for page in forward for pk in page] == expected
    assert [len(page) for page in forward] == [3, 3, 3, 1]

    # From the last page back by the "previous" links: the same pages in reverse.
    last_page = client.get("/api/v1/contacts/", {"page_size": 3})
    url = last_page.json()["next"]
    while (following := client.get(url).json())["next"]:
        url = following["next"]
    backward = walk(client, url, None, "previous")
    assert backward == list(reversed(forward))


def test_a_deep_page_reads_after_the_cursor_row_without_offset(client_for, trustee):
    for _ in range(6):
        ContactFactory(last_name="Virtanen")
    client = client_for(trustee)
    second = client.get("/api/v1/contacts/", {"page_size": 2}).json()["next"]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(second)

    assert response.status_code == 200
    # The page's keys (its rows are then read by their ids, from an array: unnest).
    keys = [q["sql"] for q in queries if 'FROM "crm_contact"' in q["sql"]]
    (listing,) = [sql for sql in keys if "unnest" not in sql]
    assert "OFFSET" not in listing
    # One row comparison, which the (last_name, id) index starts its scan at.
    assert '("crm_contact"."last_name", "crm_contact"."id") > (' in listing


@pytest.mark.parametrize(
    ("params", "columns"),
    [
        ({}, '"crm_contact"."last_name" AS "last_name", "crm_contact"."id" AS "id" FROM'),
        (
            {"ordering": "-created_at"},
            '"crm_contact"."created_at" AS "created_at", "crm_contact"."id" AS "id" FROM',
        ),
    ],
)
def test_a_pages_keys_are_the_orderings_fields_and_the_id(client_for, trustee, params, columns):
    # So that the ordering's index holds all it reads (an index-only scan, no row visited).
    ContactFactory.create_batch(3)
    client = client_for(trustee)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/contacts/", {"page_size": 2, **params})

    assert response.status_code == 200 and len(ids(response)) == 2
    (listing,) = [
        q["sql"] for q in queries if 'FROM "crm_contact"' in q["sql"] and "unnest" not in q["sql"]
    ]
    assert listing.startswith(f"SELECT {columns}")


def test_meetings_newest_first_page_through_equal_times(client_for, trustee):
    same_time = datetime.datetime(2026, 5, 4, 9, 30, 0, 123456, tzinfo=datetime.UTC)
    meetings = [MeetingFactory(author=trustee, occurred_at=same_time) for _ in range(5)]
    client = client_for(trustee)

    pages = walk(client, "/api/v1/meetings/", {"page_size": 2}, "next")

    assert [pk for page in pages for pk in page] == sorted((m.pk for m in meetings), reverse=True)


@pytest.mark.parametrize(
    "position", ["bm90LWpzb24", '["Aho"]', '["Aho", "x"]', '{"a": 1}', "[1, 2, 3]"]
)
def test_a_forged_keyset_position_is_404_not_500(client_for, trustee, position):
    import base64
    from urllib.parse import urlencode

    ContactFactory(last_name="Aho")
    token = base64.b64encode(urlencode({"p": position}).encode()).decode()

    response = client_for(trustee).get("/api/v1/contacts/", {"cursor": token})

    assert response.status_code == 404


def test_only_orderings_one_row_comparison_can_follow_page_as_a_keyset():
    from config.api import keyset_fields
    from crm.models import Contact

    assert [f.name for f, _ in keyset_fields(Contact, ("last_name", "id"))] == ["last_name", "id"]
    assert [d for _, d in keyset_fields(Contact, ("-last_name", "-id"))] == [True, True]
    assert keyset_fields(Contact, ("last_name", "-id")) is None  # mixed directions
    assert keyset_fields(Contact, ("last_interaction_at", "id")) is None  # nullable
    assert keyset_fields(Contact, ("last_name",)) is None  # no primary key last
    assert keyset_fields(Contact, ("-search_rank", "last_name", "id")) is None  # annotation

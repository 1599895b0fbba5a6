"""List pages and the contact timeline run a fixed number of queries, whatever the row count."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy import services
from advocacy.models import Goal, Topic
from crm import services as crm_services
from crm.models import Network, NetworkMembership, Organisation, Tag


def build(trustee, colleague, n: int, start: int = 0):
    """n contacts, organisations, topics, networks and meetings with one shared contact."""
    tag = Tag.objects.get_or_create(name="kansanedustaja")[0]
    shared = crm_services.create_contact(by=trustee, last_name="Yhteinen", tags=[tag])
    for i in range(start, start + n):
        organisation = Organisation.objects.create(name=f"Organisaatio {i}")
        contact = crm_services.create_contact(
            by=trustee, last_name=f"Henkilö {i}", organisation=organisation, tags=[tag]
        )
        topic = Topic.objects.create(name=f"Aihe {i}")
        goal = Goal.objects.create(topic=topic, title=f"Tavoite {i}", owner=trustee)
        network = Network.objects.create(name=f"Verkosto {i}")
        NetworkMembership.objects.create(network=network, contact=contact)
        services.log_meeting(
            author=trustee if i % 2 else colleague,
            title=f"Tapaaminen {i}",
            contacts=[contact, shared],
            our_participants=[colleague],
            topics=[topic],
            goals=[goal],
            follow_ups=[
                services.NewFollowUp(
                    description=f"Tehtävä {i}",
                    assignee=trustee,
                    due_date=timezone.localdate() + datetime.timedelta(days=i - 1),
                )
            ],
        )
    return shared


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Every signed-in page starts with: 1 session, 2 user; and ends with the header's unread
# notification count, the user's municipality (header and footer), and the session's save for
# the idle timeout (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release): 5 more, counted in
# each total.
PAGES = {
    # 3 municipality and 4 tag choices of the filter form, 5 count, 6 page of contacts
    # (organisation, municipality joined), 7 their tags
    "crm:contact_list": 12,
    # 3 municipality and 4 tag choices, 5 count, 6 page of organisations (municipality,
    # parent joined; contact count annotated)
    "crm:organisation_list": 11,
    # 3 count, 4 page of networks (owner joined; member count annotated)
    "crm:network_list": 9,
    # 3 count, 4 page of topics (owner joined; goal count), 5 their municipalities
    "advocacy:topic_list": 10,
    # 3 count, 4 page of my open follow-ups (assignee, meeting, goal joined)
    "advocacy:follow_up_list": 9,
    # 3 open follow-ups, 4 my meetings, 5 their topics, 6 colleagues' meetings, 7 their
    # topics, 8 my goals, 9 unread notifications
    "advocacy:dashboard": 14,
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_list_page_query_count_does_not_grow_with_rows(name, trustee, make_user, signed_in):
    colleague = make_user()
    # Two meetings: one logged by me, one by a colleague (each list has a row).
    build(trustee, colleague, 2)
    client = signed_in(trustee)
    url = reverse(name)
    assert count_queries(client, url) == PAGES[name]
    build(trustee, colleague, 6, start=2)
    assert count_queries(client, url) == PAGES[name]


def test_contact_timeline_query_count_does_not_grow_with_meetings(trustee, make_user, signed_in):
    colleague = make_user()
    shared = build(trustee, colleague, 1)
    client = signed_in(trustee)
    url = reverse("advocacy:contact_detail", args=[shared.pk])
    # 1 session, 2 user, 3 contact (organisation, municipality joined), 4 tags,
    # 5 relationship owners, 6 positions, 7 memberships with networks, 8 timeline count,
    # 9 timeline page (author, municipality joined), 10 topics, 11 contacts, 12 our
    # participants, 13 follow-ups with assignees, 14 open follow-ups, 15 history events,
    # 16 history users, 17 unread notification count, 18 the user's municipality, 19-21 the
    # session's save (savepoint, update, release)
    expected = 21
    assert count_queries(client, url) == expected
    build(trustee, colleague, 6, start=1)
    assert count_queries(client, url) == expected

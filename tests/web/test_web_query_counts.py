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


# Every signed-in page starts with: 1 session, 2 user; its header and footer add the unread
# notification count and the user's municipality; and it ends with the session's save for the
# idle timeout (SESSION_SAVE_EVERY_REQUEST: savepoint, update, release). These 7 are in each total.
PAGES = {
    # 3 count, 4 unread count, 5 my municipality, 6 municipality and 7 tag choices of the
    # filter form, 8 page of contacts (organisation, municipality joined), 9 their tags,
    # 10 their relationship owners, 11-13 session save
    "crm:contact_list": 13,
    # 3 count, 4 unread count, 5 my municipality, 6 municipality and 7 tag choices, 8 page of
    # organisations (municipality, parent joined; contacts counted), 9 their tags, 10-12 save
    "crm:organisation_list": 12,
    # 3 count, 4 unread count, 5 my municipality, 6 page of networks (owner joined), 7 their
    # memberships (contact, organisation joined), 8-10 session save
    "crm:network_list": 10,
    # 3 count, 4 unread count, 5 my municipality, 6 page of topics (owner joined; goals and
    # visible meetings counted in subqueries), 7 their municipalities, 8 tags, 9-11 save
    "advocacy:topic_list": 11,
    # 3 count, 4 unread count, 5 my municipality, 6 page of my open follow-ups (assignee,
    # meeting, goal, creator, completer joined), 7-9 session save
    "advocacy:follow_up_list": 9,
    # 3 unread count, 4 my municipality, 5 my open follow-ups, 6 unread notifications, 7 my
    # meetings (author, municipality joined), 8 their topics, 9 colleagues' meetings, 10 their
    # topics, 11 my goals (visible meetings counted), 12 their endorsements, 13-15 session save
    "advocacy:dashboard": 15,
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
    # 5 relationship owners, 6 positions, 7 memberships with networks, 8 the access-log row,
    # 9 timeline count, 10 history events, 11 history users, 12 unread notification count,
    # 13 my municipality, 14 open follow-ups, 15 timeline page (author, municipality joined),
    # its 16 topics, 17 goals, 18 contacts, 19 our participants, 20 organisations, 21
    # follow-ups with their assignees, 22-24 the session's save (savepoint, update, release)
    expected = 24
    assert count_queries(client, url) == expected
    build(trustee, colleague, 6, start=1)
    assert count_queries(client, url) == expected


def meeting_form(trustee, colleague, rows: int) -> dict[str, str]:
    """The meeting form with `rows` known contacts, new contacts and follow-ups."""
    organisation = Organisation.objects.create(name="Ministeriö")
    known = [crm_services.create_contact(by=trustee, last_name=f"Tuttu {n}") for n in range(rows)]
    data = {
        "occurred_at": "2026-11-20T14:30",
        "kind": "in_person",
        "title": "Tapaaminen ministeriössä",
        "visibility": "joint",
        "contacts": [str(c.pk) for c in known],
        "new_contacts-TOTAL_FORMS": str(rows),
        "new_contacts-INITIAL_FORMS": "0",
        "follow_ups-TOTAL_FORMS": str(rows),
        "follow_ups-INITIAL_FORMS": "0",
    }
    for n in range(rows):
        data[f"new_contacts-{n}-last_name"] = f"Uusi {n}"
        data[f"new_contacts-{n}-organisation"] = str(organisation.pk)
        data[f"follow_ups-{n}-description"] = f"Jatkotoimi {n}"
        data[f"follow_ups-{n}-assignee"] = str((trustee, colleague)[n % 2].pk)
        data[f"follow_ups-{n}-due_date"] = "2026-12-04"
    return data


def test_logging_a_meeting_on_the_web_runs_the_same_queries_for_one_row_and_for_five(
    trustee, make_user, signed_in
):
    colleague = make_user()
    client = signed_in(trustee)
    url = reverse("advocacy:meeting_new")
    # 1 session, 2 user, 3 contacts, 4 the rows' organisations, 5 the rows' assignees, then
    # log_meeting: 6 savepoint, 7 meeting, 8 new contacts, 9 participants, 10 our
    # participants, 11 organisations, 12 follow-ups, 13 coordinators and preferences,
    # 14 reminders, 15 contacts' "last met", 16 their "not met lately" alerts, 17 release,
    # 18-20 the session's save (savepoint, update, release)
    expected = 20
    for rows in (1, 5):
        data = meeting_form(trustee, colleague, rows)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
        assert response.status_code == 302
        assert len(queries) == expected, [q["sql"][:80] for q in queries]

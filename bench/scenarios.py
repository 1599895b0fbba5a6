"""What `make bench` measures: each endpoint of issue 8 with its hand-written SQL floor."""

from __future__ import annotations

import datetime
import json
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from advocacy.models import FollowUp, Meeting, MeetingContact, Topic
from advocacy.services import refresh_last_interaction
from crm.models import Contact, Organisation, Tag, User
from crm.search import search_terms

PAGE = 50
BENCH_USER = "luottamushenkilo"  # a demo trustee (advocacy/demo_data.py)
# The title of the meetings the "log a meeting" scenario writes (remove_logged_meetings).
# Not the notes search's word: each run would add a thousand meetings it finds.
LOGGED_TITLE = "Benchmark: tapaaminen liikennelautakunnan kanssa"


@dataclass
class Scenario:
    name: str
    label: str
    path: str
    token: str
    sql: str = ""
    sql_params: tuple = ()
    body: str = ""
    # A web page: the signed-in user's session cookie ("name=value") instead of the token.
    cookie: str = ""
    # One hand-written query that returns all the response holds (the main query is `sql`).
    same_data_sql: str = ""
    same_data_params: tuple = ()

    def client(self) -> Client:
        if self.cookie:
            client = Client()
            client.cookies.load(self.cookie)
            return client
        return Client(HTTP_AUTHORIZATION=f"Token {self.token}")

    def measure_once(self) -> dict:
        """SQL queries and response bytes of one request, in this process."""
        client = self.client()
        with CaptureQueriesContext(connection) as queries:
            if self.body:
                response = client.post(self.path, self.body, content_type="application/json")
            else:
                response = client.get(self.path)
        assert response.status_code < 300, (self.path, response.status_code, response.content)
        return {
            "queries": len(queries),
            "bytes": len(response.content),
            "status": response.status_code,
        }


def _dsn() -> str:
    db = settings.DATABASES["default"]
    return (
        f"host={db['HOST'] or 'localhost'} port={db['PORT'] or 5432} dbname={db['NAME']} "
        f"user={db['USER']}" + (f" password={db['PASSWORD']}" if db["PASSWORD"] else "")
    )


def _deep_cursor(token: str, path: str, pages: int) -> str:
    """The `path` of the page `pages` pages in, found by following the `next` links."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    for _ in range(pages):
        following = client.get(path).json().get("next")
        if not following:
            break
        parts = urllib.parse.urlsplit(following)
        path = f"{parts.path}?{parts.query}"
    return path


def _session_cookie(user: User) -> str:
    """A signed-in session of `user` (a row in the session store) as a Cookie header value."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def contacts_page_whole(user: User, where: str = "", params: tuple = ()) -> tuple[str, tuple]:
    """A contacts page with all that the endpoint returns for it, in one hand-written query:
    the columns of Contact.objects.list_rows(), the tags and relationship owners, and the
    count and latest of the meetings with the person that `user` may see (the rules of
    advocacy.models.MeetingQuerySet.visible_to). `where` (with `params`) picks the page."""
    contact_t, org_t = Contact._meta.db_table, Organisation._meta.db_table
    tag_t, tag_link_t = Tag._meta.db_table, Contact.tags.through._meta.db_table
    user_t, owner_link_t = User._meta.db_table, Contact.relationship_owners.through._meta.db_table
    mc_t = MeetingContact._meta.db_table
    participant_t = Meeting.our_participants.through._meta.db_table
    sql = (
        "SELECT c.id, c.first_name, c.last_name, c.title, c.organisation_id, "  # noqa: S608  # nosec B608: own table names, values bound
        "c.municipality_id, c.email, c.secondary_email, c.is_decision_maker, "
        "c.influence_level, c.stale_after_days, c.notes, c.lawful_basis, c.archived_at, "
        "c.anonymised_at, c.version, c.created_at, c.updated_at, o.name, c.phone::text, "
        "c.mobile_phone::text, "
        f"ARRAY(SELECT t.name FROM {tag_t} t JOIN {tag_link_t} ct ON t.id = ct.tag_id "
        "WHERE ct.contact_id = c.id ORDER BY 1), "
        f"ARRAY(SELECT u.id FROM {user_t} u JOIN {owner_link_t} r ON u.id = r.user_id "
        "WHERE r.contact_id = c.id ORDER BY u.last_name, u.first_name, u.username), "
        f"s.count, s.latest FROM {contact_t} c LEFT JOIN {org_t} o ON o.id = c.organisation_id "
        "LEFT JOIN LATERAL (SELECT count(*) AS count, max(mc.meeting_occurred_at) AS latest "
        f"FROM {mc_t} mc WHERE mc.contact_id = c.id AND (mc.meeting_visibility = 'joint' "
        "OR (mc.meeting_municipality_id = %s AND mc.meeting_visibility = 'municipality') "
        f"OR mc.meeting_author_id = %s OR EXISTS (SELECT 1 FROM {participant_t} p "
        "WHERE p.meeting_id = mc.meeting_id AND p.user_id = %s))) s ON true "
        f"{where} ORDER BY c.last_name, c.id LIMIT {PAGE + 1}"
    )
    return sql, (user.municipality_id, user.pk, user.pk, *params)


def prepare():
    user = User.objects.get(username=BENCH_USER)
    token = Token.objects.get_or_create(user=user)[0].key
    participant_t = Meeting.our_participants.through._meta.db_table
    contact_t = Contact._meta.db_table
    org_t = Organisation._meta.db_table
    tag_link_t = Contact.tags.through._meta.db_table
    meeting_t = Meeting._meta.db_table
    mc_t = MeetingContact._meta.db_table
    topic_link_t = Meeting.topics.through._meta.db_table
    followup_t = FollowUp._meta.db_table
    contact_columns = (
        f"c.id, c.first_name, c.last_name, c.title, c.email, c.is_decision_maker, "
        f"c.influence_level, o.id, o.name FROM {contact_t} c "
        f"LEFT JOIN {org_t} o ON o.id = c.organisation_id"
    )

    # Parameters from the data: the busiest organisation, one of its contacts' tags.
    tagged = (
        Contact.tags.through.objects.filter(contact__organisation__isnull=False)
        .values_list("contact__municipality_id", "contact__organisation_id", "tag_id")
        .order_by("contact_id")
        .first()
    )
    municipality_id, organisation_id, tag_id = tagged
    tag_name = Tag.objects.get(pk=tag_id).name
    contact = (
        Contact.objects.filter(pk__in=MeetingContact.objects.values("contact_id"))
        .order_by("id")
        .first()
    )
    topic_link = Meeting.topics.through.objects.select_related("meeting").order_by("id").first()
    topic_id, topic_municipality = topic_link.topic_id, topic_link.meeting.municipality_id
    last_name = Contact.objects.order_by("id").values_list("last_name", flat=True)[3]
    name_query = last_name[:5]
    participants = list(Contact.objects.order_by("id").values_list("pk", flat=True)[:5])
    deep = _deep_cursor(token, f"/api/v1/contacts/?page_size={PAGE}", 40)
    deep_row = (
        Contact.objects.order_by("last_name", "id").values_list("last_name", "id")[40 * PAGE]
        if Contact.objects.count() > 40 * PAGE
        else ("", 0)
    )
    today = timezone.localdate()
    body = json.dumps(
        {
            "kind": "in_person",
            "title": LOGGED_TITLE,
            "notes": "Keskustelimme liikenneyhteyksistä ja kaavoituksesta.",
            "occurred_at": timezone.now().isoformat(),
            "contacts": participants,
            "follow_ups": [
                {
                    "description": f"Jatkotoimi {n}",
                    "assignee": user.pk,
                    "due_date": (today + datetime.timedelta(days=7 + n)).isoformat(),
                }
                for n in range(3)
            ],
        }
    )

    def s(name, label, path, sql="", params=(), body="", cookie="", same_data=("", ())):
        same_sql, same_params = same_data
        return Scenario(
            name, label, path, token, sql, tuple(params), body, cookie, same_sql, same_params
        )

    scenarios = [
        s("hello_django", "Django hello view (floor)", "/bench/hello/django/", "SELECT 1"),
        s("hello_drf", "DRF hello view, token auth (floor)", "/bench/hello/drf/", "SELECT 1"),
        s(
            "contacts_first",
            f"contacts list, first page of {PAGE}",
            f"/api/v1/contacts/?page_size={PAGE}",
            f"SELECT {contact_columns} ORDER BY c.last_name, c.id LIMIT {PAGE + 1}",  # noqa: S608  # nosec B608: own table names, values bound
            same_data=contacts_page_whole(user),
        ),
        s(
            "contacts_deep",
            f"contacts list, page 41 of {PAGE}",
            deep,
            f"SELECT {contact_columns} WHERE (c.last_name, c.id) > (%s, %s) "  # noqa: S608  # nosec B608: own table names, values bound
            f"ORDER BY c.last_name, c.id LIMIT {PAGE + 1}",
            deep_row,
            same_data=contacts_page_whole(user, "WHERE (c.last_name, c.id) > (%s, %s)", deep_row),
        ),
        s(
            "contacts_filtered",
            "contacts by municipality + organisation + tag",
            f"/api/v1/contacts/?page_size={PAGE}&municipality={municipality_id}"
            f"&organisation={organisation_id}&tags={urllib.parse.quote(tag_name)}",
            f"SELECT {contact_columns} WHERE c.municipality_id = %s "  # noqa: S608  # nosec B608: own table names, values bound
            f"AND c.organisation_id = %s AND EXISTS (SELECT 1 FROM {tag_link_t} t "
            f"WHERE t.contact_id = c.id AND t.tag_id = %s) "
            f"ORDER BY c.last_name, c.id LIMIT {PAGE + 1}",
            (municipality_id, organisation_id, tag_id),
        ),
        s(
            "name_search",
            f"name search ({name_query!r})",
            f"/api/v1/contacts/?page_size={PAGE}&search={urllib.parse.quote(name_query)}",
            # The best tier of the endpoint's search (crm.ranked_search.top_matches): the last
            # names that begin with the word, read in order off contact_last_name_key.
            f'SELECT {contact_columns} WHERE lower(kuusikko_unaccent(c.last_name)) COLLATE "C" '  # noqa: S608  # nosec B608: own table names, values bound
            "LIKE %s "
            f'ORDER BY lower(kuusikko_unaccent(c.last_name)) COLLATE "C", c.id LIMIT {PAGE + 1}',
            (search_terms(name_query)[0].lower() + "%",),
        ),
        s(
            "notes_search",
            "notes search ('ympäristö', meetings)",
            f"/api/v1/meetings/?page_size={PAGE}&search=" + urllib.parse.quote("ympäristö"),
            f"SELECT m.id, m.title, m.occurred_at, m.kind FROM {meeting_t} m "  # noqa: S608  # nosec B608: own table names, values bound
            # search_vector: the stored Finnish document (advocacy.models.MeetingSearchVector)
            "WHERE m.visibility = 'joint' AND m.search_vector "
            "@@ to_tsquery('finnish'::regconfig, 'ympäristö:*') "
            f"ORDER BY m.occurred_at DESC, m.id DESC LIMIT {PAGE + 1}",
        ),
        s(
            "contact_detail",
            "contact detail",
            f"/api/v1/contacts/{contact.pk}/",
            f"SELECT {contact_columns} WHERE c.id = %s",  # noqa: S608  # nosec B608: own table names, values bound
            (contact.pk,),
        ),
        s(
            "contact_timeline",
            "contact timeline (the contact's meetings)",
            f"/api/v1/meetings/?page_size={PAGE}&contact={contact.pk}",
            f"SELECT m.id, m.title, m.occurred_at, m.kind FROM {meeting_t} m "  # noqa: S608  # nosec B608: own table names, values bound
            f"JOIN {mc_t} mc ON mc.meeting_id = m.id WHERE mc.contact_id = %s "
            f"ORDER BY m.occurred_at DESC, m.id DESC LIMIT {PAGE + 1}",
            (contact.pk,),
        ),
        s(
            "meetings_filtered",
            "meetings by topic + municipality",
            f"/api/v1/meetings/?page_size={PAGE}&topic={topic_id}"
            f"&municipality={topic_municipality}",
            f"SELECT m.id, m.title, m.occurred_at, m.kind FROM {meeting_t} m "  # noqa: S608  # nosec B608: own table names, values bound
            f"WHERE m.municipality_id = %s AND EXISTS (SELECT 1 FROM {topic_link_t} t "
            f"WHERE t.meeting_id = m.id AND t.topic_id = %s) "
            f"ORDER BY m.occurred_at DESC, m.id DESC LIMIT {PAGE + 1}",
            (topic_municipality, topic_id),
        ),
        s(
            "my_follow_ups",
            "my open follow-ups",
            f"/api/v1/follow-ups/?page_size={PAGE}&assignee=me&status=open",
            f"SELECT f.id, f.description, f.due_date, f.status FROM {followup_t} f "  # noqa: S608  # nosec B608: own table names, values bound
            f"WHERE f.assignee_id = %s AND f.status = 'open' ORDER BY f.due_date, f.id "
            f"LIMIT {PAGE}",
            (user.pk,),
        ),
        s(
            "dashboard",
            "dashboard page (the trustee's home, session sign-in)",
            "/",
            # Its main list: the meetings the user logged or took part in, newest first.
            f"SELECT m.id, m.title, m.occurred_at, m.kind FROM {meeting_t} m "  # noqa: S608  # nosec B608: own table names, values bound
            f"WHERE m.author_id = %s OR EXISTS (SELECT 1 FROM {participant_t} p "
            "WHERE p.meeting_id = m.id AND p.user_id = %s) "
            "ORDER BY m.occurred_at DESC, m.id DESC LIMIT 8",
            (user.pk, user.pk),
            cookie=_session_cookie(user),
        ),
        s(
            "log_meeting",
            "log a meeting (5 participants, 3 follow-ups)",
            "/api/v1/meetings/",
            body=body,
        ),
    ]
    sizes = {
        "contacts": Contact.objects.count(),
        "organisations": Organisation.objects.count(),
        "meetings": Meeting.objects.count(),
        "topics": Topic.objects.count(),
    }
    return scenarios, token, _dsn(), sizes


def remove_logged_meetings() -> int:
    """Delete the meetings that "log a meeting" wrote (its title, by the bench user), with
    their participants and follow-ups, and recompute their contacts' last meeting: the next
    run then measures the same data. They went to the first contacts by id, the contact
    timeline's among them, whose newest meetings they had become."""
    user = User.objects.get(username=BENCH_USER)
    meetings = Meeting.objects.filter(author=user, title=LOGGED_TITLE)
    with transaction.atomic():
        contact_ids = list(
            MeetingContact.objects.filter(meeting__in=meetings)
            .values_list("contact_id", flat=True)
            .distinct()
        )
        removed = meetings.delete()[1].get(Meeting._meta.label, 0)
        refresh_last_interaction(contact_ids)
    return removed

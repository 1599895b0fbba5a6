"""The permission matrix: each endpoint × role × (for meetings and follow-ups) visibility, for
list, detail, create, update and delete.

Roles: a trustee and a staff member of Tervo, the coordinator (joint organisation), an admin
(no municipality), a trustee of another municipality (Keitele), and an anonymous client.
Meetings and follow-ups are authored by Tervo's trustee. Every write that is refused is also
checked to have changed nothing.
"""

from __future__ import annotations

import pytest

from advocacy.models import FollowUp, Goal, Meeting, Notification, Topic, Visibility
from crm.models import Contact, Network, Organisation
from tests.api.helpers import ids
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    GoalFactory,
    MeetingFactory,
    NetworkFactory,
    OrganisationFactory,
    ReminderFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["trustee", "staff", "coordinator", "admin", "other", "anonymous"]
SIGNED_IN = set(ROLES) - {"anonymous"}


@pytest.fixture
def as_role(roles, client_for, anonymous):
    def client(role: str):
        return anonymous if role == "anonymous" else client_for(roles[role])

    return client


def expected(role: str, *, allowed: set[str], visible: set[str] = SIGNED_IN, ok: int) -> int:
    """401 for anonymous, 404 for what the role may not see, 403 for what it may not do."""
    if role == "anonymous":
        return 401
    if role not in visible:
        return 404
    return ok if role in allowed else 403


# --- Meetings ---------------------------------------------------------------------------------

SEES_MEETING = {
    Visibility.JOINT: SIGNED_IN,
    Visibility.MUNICIPALITY: {"trustee", "staff", "coordinator"},  # Tervo's, and coordinators
    Visibility.RESTRICTED: {"trustee"},  # the author (and listed participants) only
}
EDITS_MEETING = {"trustee", "coordinator"}  # the author; the coordinator any she can see
LOGS_MEETINGS = {"trustee", "staff", "coordinator", "other"}


@pytest.fixture
def meeting(trustee, request):
    return MeetingFactory(author=trustee, visibility=request.param, title="Alkuperäinen")


@pytest.mark.parametrize("meeting", list(Visibility), indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_meeting_list_and_detail(as_role, role, meeting):
    client = as_role(role)
    sees = SEES_MEETING[meeting.visibility]

    detail = client.get(f"/api/v1/meetings/{meeting.pk}/")
    listed = client.get("/api/v1/meetings/")

    assert detail.status_code == expected(role, allowed=sees, visible=sees, ok=200)
    if role == "anonymous":
        assert listed.status_code == 401
    else:
        assert ids(listed) == ([meeting.pk] if role in sees else [])


@pytest.mark.parametrize("meeting", list(Visibility), indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_meeting_update(as_role, role, meeting):
    sees = SEES_MEETING[meeting.visibility]

    response = as_role(role).patch(
        f"/api/v1/meetings/{meeting.pk}/", {"title": "Muutettu", "version": 1}
    )

    status = expected(role, allowed=EDITS_MEETING, visible=sees, ok=200)
    assert response.status_code == status
    meeting.refresh_from_db()
    assert meeting.title == ("Muutettu" if status == 200 else "Alkuperäinen")


@pytest.mark.parametrize("meeting", list(Visibility), indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_meeting_delete(as_role, role, meeting):
    sees = SEES_MEETING[meeting.visibility]

    response = as_role(role).delete(f"/api/v1/meetings/{meeting.pk}/")

    status = expected(role, allowed=EDITS_MEETING, visible=sees, ok=204)
    assert response.status_code == status
    assert Meeting.objects.filter(pk=meeting.pk).exists() == (status != 204)


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("role", ROLES)
def test_meeting_create(as_role, role, visibility):
    response = as_role(role).post(
        "/api/v1/meetings/", {"title": "Tapaaminen", "visibility": visibility}
    )

    status = expected(role, allowed=LOGS_MEETINGS, ok=201)
    assert response.status_code == status
    assert Meeting.objects.filter(title="Tapaaminen", visibility=visibility).count() == (
        1 if status == 201 else 0
    )


# --- Follow-ups: seen with their meeting; the assignee, the creator and the coordinator edit --


@pytest.fixture
def follow_up(trustee, request):
    meeting = MeetingFactory(author=trustee, visibility=request.param)
    return FollowUpFactory(meeting=meeting, assignee=trustee, description="Alkuperäinen")


@pytest.mark.parametrize("follow_up", list(Visibility), indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_follow_up_list_and_detail(as_role, role, follow_up):
    sees = SEES_MEETING[follow_up.meeting.visibility]
    client = as_role(role)

    detail = client.get(f"/api/v1/follow-ups/{follow_up.pk}/")
    listed = client.get("/api/v1/follow-ups/")

    assert detail.status_code == expected(role, allowed=sees, visible=sees, ok=200)
    if role != "anonymous":
        assert ids(listed) == ([follow_up.pk] if role in sees else [])


@pytest.mark.parametrize("follow_up", list(Visibility), indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_follow_up_update(as_role, role, follow_up):
    sees = SEES_MEETING[follow_up.meeting.visibility]

    response = as_role(role).patch(
        f"/api/v1/follow-ups/{follow_up.pk}/", {"description": "Muutettu", "version": 1}
    )

    status = expected(role, allowed={"trustee", "coordinator"}, visible=sees, ok=200)
    assert response.status_code == status
    follow_up.refresh_from_db()
    assert follow_up.description == ("Muutettu" if status == 200 else "Alkuperäinen")


@pytest.mark.parametrize("follow_up", [Visibility.JOINT], indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_follow_ups_are_completed_or_cancelled_not_deleted(as_role, role, follow_up):
    response = as_role(role).delete(f"/api/v1/follow-ups/{follow_up.pk}/")

    assert response.status_code == (401 if role == "anonymous" else 405)
    assert FollowUp.objects.filter(pk=follow_up.pk).exists()


@pytest.mark.parametrize("role", ROLES)
def test_follow_up_create(as_role, role, roles):
    goal = GoalFactory()
    assignee = roles["trustee"]

    response = as_role(role).post(
        "/api/v1/follow-ups/",
        {
            "goal": goal.pk,
            "description": "Valmistele",
            "assignee": assignee.pk,
            "due_date": "2027-01-01",
        },
    )

    status = expected(role, allowed=LOGS_MEETINGS, ok=201)
    assert response.status_code == status
    assert FollowUp.objects.filter(goal=goal).count() == (1 if status == 201 else 0)


# --- The shared directory and the coordinator's topics and goals ------------------------------

DIRECTORY_DELETERS = {"coordinator", "admin"}
COORDINATOR = {"coordinator"}


def organisation_case():
    return {
        "url": "/api/v1/organisations/",
        "make": lambda: OrganisationFactory(notes="Alkuperäinen"),
        "create": lambda: {"name": "Uusi organisaatio"},
        "update": {"notes": "Muutettu"},
        "changed": lambda row: row.notes == "Muutettu",
        "model": Organisation,
        "creators": SIGNED_IN,
        "editors": SIGNED_IN,
        "deleters": DIRECTORY_DELETERS,
    }


def contact_case():
    return {
        "url": "/api/v1/contacts/",
        "make": lambda: ContactFactory(notes="Alkuperäinen"),
        "create": lambda: {"last_name": "Uusi-Henkilö"},
        "update": {"notes": "Muutettu", "version": 1},
        "changed": lambda row: row.notes == "Muutettu",
        "model": Contact,
        "creators": SIGNED_IN,
        "editors": SIGNED_IN,
        "deleters": DIRECTORY_DELETERS,  # DELETE anonymises (the row stays)
    }


def network_case():
    return {
        "url": "/api/v1/networks/",
        "make": lambda: NetworkFactory(description="Alkuperäinen"),
        "create": lambda: {"name": "Uusi verkosto"},
        "update": {"description": "Muutettu"},
        "changed": lambda row: row.description == "Muutettu",
        "model": Network,
        "creators": SIGNED_IN,
        "editors": SIGNED_IN,
        "deleters": DIRECTORY_DELETERS,
    }


def topic_case():
    return {
        "url": "/api/v1/topics/",
        "make": lambda: TopicFactory(description="Alkuperäinen"),
        "create": lambda: {"name": "Uusi teema"},
        "update": {"description": "Muutettu"},
        "changed": lambda row: row.description == "Muutettu",
        "model": Topic,
        "creators": COORDINATOR,
        "editors": COORDINATOR,
        "deleters": COORDINATOR,
    }


def goal_case():
    return {
        "url": "/api/v1/goals/",
        "make": lambda: GoalFactory(description="Alkuperäinen"),
        "create": lambda: {"topic": TopicFactory().pk, "title": "Uusi tavoite"},
        "update": {"description": "Muutettu", "version": 1},
        "changed": lambda row: row.description == "Muutettu",
        "model": Goal,
        "creators": COORDINATOR,
        "editors": COORDINATOR,
        "deleters": COORDINATOR,
    }


CASES = {
    "organisations": organisation_case,
    "contacts": contact_case,
    "networks": network_case,
    "topics": topic_case,
    "goals": goal_case,
}


@pytest.mark.parametrize("resource", CASES)
@pytest.mark.parametrize("role", ROLES)
def test_directory_list_and_detail(as_role, role, resource):
    case = CASES[resource]()
    row = case["make"]()
    client = as_role(role)

    detail = client.get(f"{case['url']}{row.pk}/")
    listed = client.get(case["url"])

    assert detail.status_code == expected(role, allowed=SIGNED_IN, ok=200)
    if role != "anonymous":
        assert row.pk in ids(listed)


@pytest.mark.parametrize("resource", CASES)
@pytest.mark.parametrize("role", ROLES)
def test_directory_create(as_role, role, resource):
    case = CASES[resource]()
    before = case["model"].objects.count()

    response = as_role(role).post(case["url"], case["create"]())

    status = expected(role, allowed=case["creators"], ok=201)
    assert response.status_code == status, response.content
    assert case["model"].objects.count() - before == (1 if status == 201 else 0)


@pytest.mark.parametrize("resource", CASES)
@pytest.mark.parametrize("role", ROLES)
def test_directory_update(as_role, role, resource):
    case = CASES[resource]()
    row = case["make"]()

    response = as_role(role).patch(f"{case['url']}{row.pk}/", case["update"])

    status = expected(role, allowed=case["editors"], ok=200)
    assert response.status_code == status, response.content
    row.refresh_from_db()
    assert case["changed"](row) == (status == 200)


@pytest.mark.parametrize("resource", CASES)
@pytest.mark.parametrize("role", ROLES)
def test_directory_delete(as_role, role, resource):
    case = CASES[resource]()
    row = case["make"]()

    response = as_role(role).delete(f"{case['url']}{row.pk}/")

    status = expected(role, allowed=case["deleters"], ok=204)
    assert response.status_code == status, response.content
    if resource == "contacts":
        row.refresh_from_db()
        assert row.is_anonymised == (status == 204)
    else:
        assert case["model"].objects.filter(pk=row.pk).exists() == (status != 204)


# --- Read-only resources, and the caller's own reminders and notifications ------------------


@pytest.mark.parametrize("url", ["/api/v1/municipalities/", "/api/v1/users/"])
@pytest.mark.parametrize("role", ROLES)
def test_read_only_resources(as_role, role, url, tervo):
    client = as_role(role)
    row_id = tervo.pk if "municipalities" in url else tervo.users.first().pk

    assert client.get(url).status_code == expected(role, allowed=SIGNED_IN, ok=200)
    assert client.get(f"{url}{row_id}/").status_code == expected(role, allowed=SIGNED_IN, ok=200)
    refused = 401 if role == "anonymous" else 405
    assert client.post(url, {"name": "x"}).status_code == refused
    assert client.patch(f"{url}{row_id}/", {"name": "x"}).status_code == refused
    assert client.delete(f"{url}{row_id}/").status_code == refused


@pytest.mark.parametrize("role", ROLES)
def test_reminders_and_notifications_are_the_callers_own(as_role, role, roles):
    reminder = ReminderFactory(follow_up=FollowUpFactory(assignee=roles["trustee"]))
    notification = Notification.objects.create(
        recipient=roles["trustee"], kind="follow_up_due", subject="Muistutus"
    )
    client = as_role(role)
    owner = role == "trustee"

    for url, row in [("/api/v1/reminders/", reminder), ("/api/v1/notifications/", notification)]:
        detail = client.get(f"{url}{row.pk}/")
        assert detail.status_code == expected(role, allowed=SIGNED_IN, visible={"trustee"}, ok=200)
        if role != "anonymous":
            assert ids(client.get(url)) == ([row.pk] if owner else [])

    read = client.post(f"/api/v1/notifications/{notification.pk}/read/")
    assert read.status_code == expected(role, allowed=SIGNED_IN, visible={"trustee"}, ok=200)
    notification.refresh_from_db()
    assert (notification.read_at is not None) == owner

"""No lost updates: contacts, meetings, goals and follow-ups carry a version. Reads give it as
an ETag; writes must name it (If-Match, or a "version" field); a stale write changes nothing."""

from __future__ import annotations

import pytest

from crm import services as crm_services
from crm.models import Contact
from crm.versioning import VersionConflict
from tests.factories import ContactFactory, FollowUpFactory, GoalFactory, MeetingFactory
from tests.locking import assert_waits_for_lock

pytestmark = pytest.mark.django_db


@pytest.fixture
def versioned(request, trustee, coordinator):
    """(url, row, the user who may edit it, a change, how to read the changed field)."""
    kind = request.param
    if kind == "contact":
        row = ContactFactory(title="vanha")
        return f"/api/v1/contacts/{row.pk}/", row, trustee, {"title": "uusi"}, "title"
    if kind == "meeting":
        row = MeetingFactory(author=trustee, title="vanha")
        return f"/api/v1/meetings/{row.pk}/", row, trustee, {"title": "uusi"}, "title"
    if kind == "goal":
        row = GoalFactory(title="vanha")
        return f"/api/v1/goals/{row.pk}/", row, coordinator, {"title": "uusi"}, "title"
    row = FollowUpFactory(meeting=MeetingFactory(author=trustee), description="vanha")
    return f"/api/v1/follow-ups/{row.pk}/", row, trustee, {"description": "uusi"}, "description"


KINDS = ["contact", "meeting", "goal", "follow_up"]


@pytest.mark.parametrize("versioned", KINDS, indirect=True)
def test_detail_carries_its_version_as_etag(client_for, versioned):
    url, row, editor, _change, _field = versioned

    response = client_for(editor).get(url)

    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1


@pytest.mark.parametrize("versioned", KINDS, indirect=True)
def test_write_with_matching_if_match_succeeds_and_bumps_the_version(client_for, versioned):
    url, row, editor, change, field = versioned

    response = client_for(editor).patch(url, change, HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    row.refresh_from_db()
    assert (getattr(row, field), row.version) == ("uusi", 2)


@pytest.mark.parametrize("versioned", KINDS, indirect=True)
def test_stale_if_match_is_412_and_changes_nothing(client_for, versioned):
    url, row, editor, change, field = versioned
    type(row).objects.filter(pk=row.pk).update(version=2)  # someone else saved meanwhile

    response = client_for(editor).patch(url, change, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    row.refresh_from_db()
    assert (getattr(row, field), row.version) == ("vanha", 2)


@pytest.mark.parametrize("versioned", KINDS, indirect=True)
def test_stale_version_field_is_409_and_changes_nothing(client_for, versioned):
    url, row, editor, change, field = versioned
    type(row).objects.filter(pk=row.pk).update(version=2)

    response = client_for(editor).patch(url, {**change, "version": 1})

    assert response.status_code == 409
    row.refresh_from_db()
    assert (getattr(row, field), row.version) == ("vanha", 2)


@pytest.mark.parametrize("versioned", KINDS, indirect=True)
def test_a_write_without_a_version_is_428(client_for, versioned):
    url, row, editor, change, field = versioned

    put_or_patch = client_for(editor).patch(url, change)
    star = client_for(editor).patch(url, change, HTTP_IF_MATCH="*")

    assert (put_or_patch.status_code, star.status_code) == (428, 428)
    row.refresh_from_db()
    assert getattr(row, field) == "vanha"


@pytest.mark.parametrize(
    "header", ['W/"1"', "1", '"x"', '"2", "3"'], ids=["weak", "unquoted", "garbage", "others"]
)
def test_if_match_that_names_no_current_strong_version_is_412(client_for, trustee, header):
    meeting = MeetingFactory(author=trustee, title="vanha")

    response = client_for(trustee).patch(
        f"/api/v1/meetings/{meeting.pk}/", {"title": "uusi"}, HTTP_IF_MATCH=header
    )

    assert response.status_code == 412
    meeting.refresh_from_db()
    assert meeting.title == "vanha"


def test_if_match_may_list_several_versions(client_for, trustee):
    meeting = MeetingFactory(author=trustee, title="vanha")

    response = client_for(trustee).patch(
        f"/api/v1/meetings/{meeting.pk}/", {"title": "uusi"}, HTTP_IF_MATCH='"7", "1"'
    )

    assert response.status_code == 200


def test_two_clients_editing_the_same_contact_the_second_is_refused(client_for, trustee, staff):
    contact = ContactFactory(title="vanha", notes="")
    url = f"/api/v1/contacts/{contact.pk}/"
    etag = client_for(trustee).get(url)["ETag"]
    assert client_for(staff).get(url)["ETag"] == etag

    first = client_for(trustee).patch(url, {"title": "trusteen"}, HTTP_IF_MATCH=etag)
    second = client_for(staff).patch(url, {"notes": "staffin"}, HTTP_IF_MATCH=etag)

    assert (first.status_code, second.status_code) == (200, 412)
    contact.refresh_from_db()
    assert (contact.title, contact.notes, contact.version) == ("trusteen", "", 2)


def test_put_needs_a_version_too(client_for, coordinator):
    goal = GoalFactory(title="vanha")
    body = {"topic": goal.topic_id, "title": "uusi", "description": "", "target_date": None}

    assert client_for(coordinator).put(f"/api/v1/goals/{goal.pk}/", body).status_code == 428
    replaced = client_for(coordinator).put(f"/api/v1/goals/{goal.pk}/", {**body, "version": 1})
    assert replaced.status_code == 200
    goal.refresh_from_db()
    assert (goal.title, goal.target_date, goal.version) == ("uusi", None, 2)


def test_the_service_compares_under_the_row_lock_not_only_the_view(trustee):
    """A write that passed the view's early check while another one committed is refused by
    the service (which reads the version after locking the row)."""
    contact = ContactFactory(title="vanha")
    crm_services.update_contact(contact=contact, by=trustee, expected_version=1, title="eka")

    with pytest.raises(VersionConflict):
        crm_services.update_contact(contact=contact, by=trustee, expected_version=1, title="toka")

    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("eka", 2)


def test_closing_a_follow_up_bumps_its_version_and_a_stale_close_is_refused(client_for, trustee):
    follow_up = FollowUpFactory(meeting=MeetingFactory(author=trustee), assignee=trustee)
    url = f"/api/v1/follow-ups/{follow_up.pk}/"

    stale = client_for(trustee).post(f"{url}complete/", {"note": "tehty", "version": 7})
    done = client_for(trustee).post(f"{url}complete/", {"note": "tehty", "version": 1})

    assert stale.status_code == 409
    assert done.status_code == 200
    assert done["ETag"] == '"2"'
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.version) == ("done", 2)


def test_recording_goal_progress_bumps_the_goals_version(client_for, coordinator):
    goal = GoalFactory(progress=0)

    response = client_for(coordinator).post(
        f"/api/v1/goals/{goal.pk}/progress/", {"progress": 40, "note": "Edistyy"}
    )

    assert response.status_code == 200
    assert (response.json()["progress"], response.json()["version"]) == (40, 2)
    assert response["ETag"] == '"2"'


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_concurrent_update_waits_for_the_row_lock_and_then_is_refused(trustee):
    """Two writers read version 1. The first holds the row lock while saving version 2; the
    second blocks on the lock, then compares with what the first committed, and is refused."""
    contact = ContactFactory(title="vanha")
    outcome: dict[str, object] = {}

    def save_version_2(row):
        row.title, row.version = "eka", 2
        row.save()

    def second_writer():
        try:
            crm_services.update_contact(
                contact=contact, by=trustee, expected_version=1, title="toka"
            )
            outcome["result"] = "written"
        except VersionConflict as conflict:
            outcome["result"] = ("conflict", conflict.current)

    assert_waits_for_lock(
        hold=lambda: Contact.objects.select_for_update().get(pk=contact.pk),
        finish=save_version_2,
        waiter=second_writer,
        message="the second writer should wait for the row lock",
    )

    assert outcome == {"result": ("conflict", 2)}
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("eka", 2)

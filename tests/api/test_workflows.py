"""Follow-ups, goals, endorsements, topics and notifications: the actions beyond CRUD."""

from __future__ import annotations

import datetime

import pytest

from advocacy.models import (
    EndorsementState,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalProgress,
    Meeting,
    Notification,
    ReminderState,
    Topic,
    Visibility,
)
from tests.factories import (
    FollowUpFactory,
    GoalFactory,
    MeetingFactory,
    ReminderFactory,
    TopicFactory,
    UserFactory,
    municipality,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(trustee):
    return FollowUpFactory(meeting=MeetingFactory(author=trustee), assignee=trustee)


def test_assignee_completes_a_follow_up_and_its_reminders_are_cancelled(
    client_for, trustee, follow_up
):
    reminder = ReminderFactory(follow_up=follow_up)

    response = client_for(trustee).post(
        f"/api/v1/follow-ups/{follow_up.pk}/complete/", {"note": "Muistio lähetetty"}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["completion_note"]) == (
        "done",
        "Muistio lähetetty",
    )
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.CANCELLED


def test_completing_twice_is_completing_once_but_cancelling_a_done_one_is_refused(
    client_for, trustee, follow_up
):
    client = client_for(trustee)
    url = f"/api/v1/follow-ups/{follow_up.pk}/"

    assert client.post(f"{url}complete/").status_code == 200
    assert client.post(f"{url}complete/").status_code == 200
    refused = client.post(f"{url}cancel/")

    assert refused.status_code == 400
    assert list(refused.json()) == ["non_field_errors"]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE


def test_a_follow_up_cannot_be_reassigned_to_a_closed_account(client_for, trustee, follow_up):
    departed = UserFactory(is_active=False)

    response = client_for(trustee).patch(
        f"/api/v1/follow-ups/{follow_up.pk}/", {"assignee": departed.pk, "version": 1}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["assignee"]
    follow_up.refresh_from_db()
    assert follow_up.assignee == trustee


def test_a_follow_up_of_a_goal_is_created_and_re_dated(client_for, staff, now):
    goal = GoalFactory()
    due = now.date() + datetime.timedelta(days=30)
    client = client_for(staff)

    created = client.post(
        "/api/v1/follow-ups/",
        {
            "goal": goal.pk,
            "description": "Valmistele lausunto",
            "assignee": staff.pk,
            "due_date": str(due),
        },
    )
    moved = client.patch(
        f"/api/v1/follow-ups/{created.json()['id']}/",
        {"due_date": str(due + datetime.timedelta(days=7))},
        HTTP_IF_MATCH=created["ETag"],
    )

    assert created.status_code == 201
    assert created.json()["goal"] == {"id": goal.pk, "title": goal.title}
    assert moved.status_code == 200
    assert moved.json()["due_date"] == str(due + datetime.timedelta(days=7))


def test_a_follow_up_needs_a_meeting_or_a_goal(client_for, staff):
    response = client_for(staff).post(
        "/api/v1/follow-ups/",
        {"description": "Orpo", "assignee": staff.pk, "due_date": "2026-05-01"},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


# --- Goals ------------------------------------------------------------------------------------


def test_the_goals_owner_records_progress_others_may_not(client_for, staff, trustee):
    goal = GoalFactory(owner=staff, progress=0)
    url = f"/api/v1/goals/{goal.pk}/progress/"

    refused = client_for(trustee).post(url, {"progress": 90})
    recorded = client_for(staff).post(url, {"progress": 30, "note": "Lausunto jätetty"})

    assert refused.status_code == 403
    assert recorded.status_code == 200
    assert recorded.json()["progress_trail"][0]["note"] == "Lausunto jätetty"
    assert GoalProgress.objects.filter(goal=goal).count() == 1


def test_achieving_a_goal_makes_it_complete(client_for, coordinator):
    goal = GoalFactory(progress=40)

    body = (
        client_for(coordinator)
        .post(f"/api/v1/goals/{goal.pk}/progress/", {"status": "achieved"})
        .json()
    )

    assert (body["status"], body["progress"]) == ("achieved", 100)


def test_a_municipalitys_own_people_record_its_position(client_for, trustee, other_trustee):
    goal = GoalFactory()
    tervo = municipality("Tervo")
    url = f"/api/v1/goals/{goal.pk}/endorsements/"
    decision = {
        "municipality": tervo.pk,
        "state": "endorsed",
        "deciding_body": "kunnanhallitus",
        "decision_date": "2026-03-02",
        "minutes_reference": "KH 2.3.2026 § 45",
    }

    by_keitele = client_for(other_trustee).post(url, decision)
    by_tervo = client_for(trustee).post(url, decision)
    changed = client_for(trustee).post(
        url, {**decision, "state": "declined", "decision_date": "2026-04-01"}
    )

    assert by_keitele.status_code == 403
    assert (by_tervo.status_code, changed.status_code) == (200, 200)
    endorsement = GoalEndorsement.objects.get(goal=goal)
    assert (endorsement.municipality, endorsement.state) == (tervo, EndorsementState.DECLINED)
    shown = client_for(other_trustee).get(f"/api/v1/goals/{goal.pk}/").json()
    assert [(e["municipality"]["name"], e["state"]) for e in shown["endorsements"]] == [
        ("Tervo", "declined")
    ]


def test_a_decided_position_needs_its_date(client_for, coordinator):
    goal = GoalFactory()

    response = client_for(coordinator).post(
        f"/api/v1/goals/{goal.pk}/endorsements/",
        {"municipality": municipality("Vesanto").pk, "state": "endorsed"},
    )

    assert response.status_code == 400
    assert not GoalEndorsement.objects.exists()


def test_a_goal_discussed_in_meetings_is_dropped_not_deleted(client_for, coordinator, trustee):
    goal = GoalFactory()
    MeetingFactory(author=trustee).goals.add(goal)

    response = client_for(coordinator).delete(f"/api/v1/goals/{goal.pk}/")

    assert response.status_code == 400
    assert Goal.objects.filter(pk=goal.pk).exists()


def test_a_topic_with_goals_is_closed_not_deleted(client_for, coordinator):
    topic = GoalFactory().topic
    empty = TopicFactory()
    client = client_for(coordinator)

    assert client.delete(f"/api/v1/topics/{topic.pk}/").status_code == 400
    assert client.delete(f"/api/v1/topics/{empty.pk}/").status_code == 204
    assert list(Topic.objects.all()) == [topic]


def test_a_topic_only_hidden_meetings_use_is_removed_as_an_unused_one_is_deleted(
    client_for, coordinator, trustee
):
    topic, unused = TopicFactory(), TopicFactory()
    hidden = MeetingFactory(author=trustee, visibility=Visibility.RESTRICTED)
    hidden.topics.add(topic)
    client = client_for(coordinator)

    removed, deleted = (
        client.delete(f"/api/v1/topics/{topic.pk}/"),
        client.delete(f"/api/v1/topics/{unused.pk}/"),
    )

    # The same answer: nothing tells the coordinator of the meeting they may not see.
    assert (removed.status_code, removed.content) == (deleted.status_code, deleted.content)
    assert removed.status_code == 204
    assert client.get(f"/api/v1/topics/{topic.pk}/").status_code == 404
    assert client.get("/api/v1/topics/").json()["results"] == []
    # The hidden meeting keeps its record; the topic is shown to no one, and its name is free.
    assert Meeting.topics.through.objects.filter(meeting=hidden, topic_id=topic.pk).exists()
    assert client_for(trustee).get(f"/api/v1/meetings/{hidden.pk}/").json()["topics"] == []
    again = client.post("/api/v1/topics/", {"name": topic.name, "priority": 2})
    assert again.status_code == 201, again.json()
    assert client.post("/api/v1/topics/", {"name": topic.name, "priority": 2}).status_code == 400


def test_a_topic_with_a_meeting_the_coordinator_sees_is_not_deleted(client_for, coordinator):
    topic = TopicFactory()
    MeetingFactory(visibility=Visibility.JOINT).topics.add(topic)

    assert client_for(coordinator).delete(f"/api/v1/topics/{topic.pk}/").status_code == 400
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_a_goal_only_hidden_records_use_is_removed_as_an_unused_one_is_deleted(
    client_for, coordinator, trustee
):
    goal, unused = GoalFactory(), GoalFactory()
    hidden = MeetingFactory(author=trustee, visibility=Visibility.RESTRICTED)
    hidden.goals.add(goal)
    client = client_for(coordinator)

    removed, deleted = (
        client.delete(f"/api/v1/goals/{goal.pk}/"),
        client.delete(f"/api/v1/goals/{unused.pk}/"),
    )

    assert (removed.status_code, removed.content) == (deleted.status_code, deleted.content)
    assert removed.status_code == 204
    assert client.get(f"/api/v1/goals/{goal.pk}/").status_code == 404
    assert Meeting.goals.through.objects.filter(meeting=hidden, goal_id=goal.pk).exists()
    # Its topic, used by that goal still, is removed too when deleted, never refused.
    assert client.delete(f"/api/v1/topics/{goal.topic_id}/").status_code == 204
    assert not Topic.objects.filter(pk=goal.topic_id).exists()
    assert Topic.all_objects.filter(pk=goal.topic_id).exists()


def test_coordinator_creates_a_topic_for_some_municipalities(client_for, coordinator):
    tervo, vesanto = municipality("Tervo"), municipality("Vesanto")

    response = client_for(coordinator).post(
        "/api/v1/topics/",
        {
            "name": "Kotoutumispalvelut",
            "priority": 3,
            "municipalities": [tervo.pk, vesanto.pk],
            "tags": ["maahanmuutto"],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert sorted(body["municipalities"]) == sorted([tervo.pk, vesanto.pk])
    assert (body["tags"], body["goal_count"], body["meeting_count"]) == (["maahanmuutto"], 0, 0)


# --- Notifications ----------------------------------------------------------------------------


def test_notifications_are_read_one_by_one_or_all_at_once(client_for, trustee, staff):
    first, second = (
        Notification.objects.create(recipient=trustee, kind="follow_up_due", subject=s)
        for s in ("Eka", "Toka")
    )
    theirs = Notification.objects.create(recipient=staff, kind="follow_up_due", subject="Muu")
    client = client_for(trustee)

    one = client.post(f"/api/v1/notifications/{first.pk}/read/")
    unread = client.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]
    everything = client.post("/api/v1/notifications/read-all/")

    assert one.json()["is_read"] is True
    assert [n["id"] for n in unread] == [second.pk]
    assert everything.json() == {"marked_read": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None

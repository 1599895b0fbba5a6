"""Logging a meeting through the web form: one POST, the log_meeting service, nothing lost."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy.models import FollowUp, FollowUpStatus, Goal, Meeting, Topic, Visibility
from crm import services as crm_services
from crm.models import Contact


def management(prefix: str, total: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.fixture
def form_data(trustee):
    known = crm_services.create_contact(by=trustee, first_name="Olli", last_name="Olemassa")
    topic = Topic.objects.create(name="Integraatiopalvelut")
    goal = Goal.objects.create(topic=topic, title="Kotoutumisen yhteinen malli")
    data = {
        "occurred_at": "2026-11-20T14:30",
        "kind": "in_person",
        "title": "Kotoutumisasiat ministeriössä",
        "place": "Helsinki",
        "contacts": [str(known.pk)],
        "topics": [str(topic.pk)],
        "goals": [str(goal.pk)],
        "notes": "Hyvä keskustelu.",
        "outcomes": "Ministeriö selvittää rahoituksen.",
        "visibility": Visibility.JOINT,
        "q": "ignored type-ahead text",
        **management("new_contacts", 2),
        "new_contacts-0-first_name": "Uusi",
        "new_contacts-0-last_name": "Ihminen",
        "new_contacts-0-title": "Neuvotteleva virkamies",
        # A removed row: emptied by the script, ignored by the server.
        "new_contacts-1-first_name": "",
        "new_contacts-1-last_name": "",
        **management("follow_ups", 3),
        "follow_ups-0-description": "Lähetä muistio",
        "follow_ups-0-assignee": str(trustee.pk),
        "follow_ups-0-due_date": "2026-11-27",
        "follow_ups-1-description": "",
        "follow_ups-1-assignee": str(trustee.pk),
        "follow_ups-1-due_date": "2026-11-27",
        "follow_ups-2-description": "Sovi jatkotapaaminen",
        "follow_ups-2-assignee": str(trustee.pk),
        "follow_ups-2-due_date": "2026-12-04",
    }
    return data, known, topic, goal


def test_logging_a_meeting_creates_everything_in_one_go(trustee, signed_in, form_data):
    data, known, topic, goal = form_data
    response = signed_in(trustee).post(reverse("advocacy:meeting_new"), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("advocacy:meeting_detail", args=[meeting.pk])
    assert meeting.author == trustee
    assert timezone.localtime(meeting.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-11-20 14:30"
    new = Contact.objects.get(last_name="Ihminen")
    assert new.title == "Neuvotteleva virkamies"
    assert set(meeting.contacts.all()) == {known, new}
    assert list(meeting.topics.all()) == [topic]
    assert list(meeting.goals.all()) == [goal]
    assert sorted(FollowUp.objects.values_list("description", flat=True)) == [
        "Lähetä muistio",
        "Sovi jatkotapaaminen",
    ]
    known.refresh_from_db()
    assert known.last_interaction_at == meeting.occurred_at


def test_success_message_tells_the_browser_to_drop_the_draft(trustee, signed_in, form_data):
    data, *_ = form_data
    response = signed_in(trustee).post(reverse("advocacy:meeting_new"), data, follow=True)
    assert 'data-clear-draft="meeting-new"' in response.content.decode()


def test_failed_submit_keeps_what_was_typed_and_picked(trustee, signed_in, form_data):
    data, known, topic, goal = form_data
    data["title"] = ""
    data["follow_ups-0-due_date"] = "not a date"
    response = signed_in(trustee).post(reverse("advocacy:meeting_new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    assert not Contact.objects.filter(last_name="Ihminen").exists()
    # Text typed and choices picked are all still there.
    assert "Hyvä keskustelu." in html
    assert 'value="Ihminen"' in html
    assert "Sovi jatkotapaaminen" in html
    assert f'name="contacts" value="{known.pk}" checked' in html
    assert f'name="goals" value="{goal.pk}" checked' in html
    # The errors are tied to their fields.
    assert 'aria-invalid="true" aria-describedby="id_title_errors"' in html
    assert 'id="id_title_errors"' in html
    assert 'id="id_follow_ups-0-due_date_errors"' in html
    assert 'data-draft-restore="false"' in html


def test_time_defaults_to_now(trustee, signed_in):
    response = signed_in(trustee).get(reverse("advocacy:meeting_new"))
    initial = response.context["form"]["occurred_at"].value()
    # The field shows local wall-clock time (naive), as a datetime-local input wants it.
    now = timezone.localtime().replace(tzinfo=None)
    assert abs(now - initial) < datetime.timedelta(minutes=2)


def test_contact_page_link_preselects_the_contact(trustee, signed_in):
    contact = crm_services.create_contact(by=trustee, last_name="Valmiiksi")
    url = reverse("advocacy:meeting_new") + f"?contact={contact.pk}"
    html = signed_in(trustee).get(url).content.decode()
    assert f'name="contacts" value="{contact.pk}" checked' in html


def test_admin_role_may_not_log_meetings(make_user, signed_in):
    admin = make_user(role="admin")
    assert signed_in(admin).get(reverse("advocacy:meeting_new")).status_code == 403


def test_author_edits_the_meeting_and_others_may_not(trustee, other_trustee, signed_in):
    from advocacy import services

    meeting = services.log_meeting(author=trustee, title="Alkuperäinen")
    url = reverse("advocacy:meeting_edit", args=[meeting.pk])
    assert signed_in(other_trustee).get(url).status_code == 403
    response = signed_in(trustee).post(
        url,
        {
            "occurred_at": "2026-11-21T09:00",
            "kind": "phone",
            "title": "Korjattu otsikko",
            "place": "",
            "notes": "",
            "outcomes": "",
            "visibility": Visibility.JOINT,
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Korjattu otsikko"
    assert meeting.kind == "phone"


def test_follow_up_added_on_the_meeting_page(trustee, signed_in):
    from advocacy import services

    meeting = services.log_meeting(author=trustee, title="Palaveri")
    response = signed_in(trustee).post(
        reverse("advocacy:meeting_follow_up_add", args=[meeting.pk]),
        {"description": "Soita", "assignee": trustee.pk, "due_date": "2026-12-01"},
    )
    assert response.status_code == 302
    follow_up = meeting.follow_ups.get()
    assert follow_up.description == "Soita"
    assert follow_up.status == FollowUpStatus.OPEN


def test_a_follow_up_row_naming_no_active_user_is_an_error_of_that_row(
    trustee, make_user, signed_in, form_data
):
    data, *_ = form_data
    data["follow_ups-2-assignee"] = str(make_user(is_active=False).pk)
    data["follow_ups-0-assignee"] = "987654"

    response = signed_in(trustee).post(reverse("advocacy:meeting_new"), data)

    assert response.status_code == 200
    rows = response.context["follow_ups"].forms
    assert list(rows[0].errors) == list(rows[2].errors) == ["assignee"]
    assert rows[0].errors["assignee"] == rows[2].errors["assignee"]
    assert not Meeting.objects.exists()

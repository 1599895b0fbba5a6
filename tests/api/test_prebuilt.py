"""config.api.prebuilt: the hot reads' row querysets are built once per process and copied
for each request, which then scopes its copy to its user."""

from __future__ import annotations

import pytest

from advocacy.models import Meeting, Visibility
from config.api import prebuilt
from tests.api.helpers import ids
from tests.factories import ContactFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def test_the_queryset_is_built_once_and_each_call_gets_a_copy():
    builds = []

    def build():
        builds.append(1)
        return Meeting.objects.filter(visibility=Visibility.JOINT)

    rows = prebuilt(build)
    first, second = rows(), rows()
    MeetingFactory(visibility=Visibility.JOINT)

    assert len(builds) == 1
    assert first is not second and first.query is not second.query
    assert list(first.filter(title="ei ole")) == []
    assert len(second) == 1  # evaluating or filtering one copy leaves the others as they were
    assert rows()._result_cache is None


def test_each_request_scopes_its_own_copy(client_for, trustee, staff, other_trustee):
    person = ContactFactory()
    restricted = MeetingFactory(author=trustee, visibility=Visibility.RESTRICTED, contacts=[person])
    joint = MeetingFactory(author=other_trustee, contacts=[person])

    for user, expected in ((trustee, 2), (staff, 1), (trustee, 2), (other_trustee, 1)):
        client = client_for(user)
        meetings = ids(client.get("/api/v1/meetings/"))
        contact = client.get(f"/api/v1/contacts/{person.pk}/").json()
        listed = client.get("/api/v1/contacts/").json()["results"]
        assert len(meetings) == expected and joint.pk in meetings, user
        assert (restricted.pk in meetings) is (user == trustee)
        assert contact["meeting_count"] == expected
        assert [row["meeting_count"] for row in listed if row["id"] == person.pk] == [expected]

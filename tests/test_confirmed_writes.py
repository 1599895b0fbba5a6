"""config.db.confirmed: the access log of a read committed on a second connection while the
response is made, and confirmed before it leaves. Transactional: the point is the commits."""

from __future__ import annotations

import contextvars
import threading
import time

import psycopg
import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.db.confirmed import ConfirmWritesMiddleware, libpq_conninfo
from crm.gdpr import record_access
from crm.models import AccessLog, AccessPurpose
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _fresh_companion():
    connection.close_companion()
    yield
    connection.close_companion()


def _other_connection() -> psycopg.Connection:
    return psycopg.connect(libpq_conninfo(connection.get_connection_params()), autocommit=True)


def _client(user, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    client.force_authenticate(user)
    return client


def _wait_for_lock(other: psycopg.Connection, pid: int) -> None:
    for _ in range(200):
        if other.execute("SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted", [pid]).fetchone():
            return
        time.sleep(0.01)
    pytest.fail("the insert never waited for the lock")


def _in_request(view):
    """Runs `view()` as the body of a request through the middleware."""

    def get_response(request):
        view()
        return HttpResponse("ok")

    return ConfirmWritesMiddleware(get_response)(None)


def test_a_read_is_logged_on_another_connection_before_the_response_leaves():
    user, person = UserFactory(), ContactFactory(last_name="Hämäläinen")

    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        response = _client(user).get(f"/api/v1/contacts/{person.pk}/")

    assert response.status_code == 200 and response.json()["last_name"] == "Hämäläinen"
    # The request's own connection wrote nothing; the row is committed all the same.
    assert not [q for q in queries if "crm_accesslog" in q["sql"]]
    entry = AccessLog.objects.get()
    assert (entry.user, entry.purpose, entry.contact_ids, entry.target) == (
        user,
        AccessPurpose.API,
        [person.pk],
        "api contact",
    )
    assert before <= entry.occurred_at <= timezone.now()
    companion = connection.companion()
    assert companion.pgconn.backend_pid != connection.connection.info.backend_pid
    prepared = companion.pgconn.exec_(b"SELECT name FROM pg_prepared_statements")
    assert prepared.ntuples == 1
    assert prepared.get_value(0, 0).startswith(b"kuusikko_insert_crm_accesslog_")


def test_a_log_row_that_fails_to_commit_sends_no_data():
    user, person = UserFactory(), ContactFactory(last_name="Hämäläinen")
    with _other_connection() as other:
        other.execute(
            "ALTER TABLE crm_accesslog ADD CONSTRAINT refuse_api_reads "
            "CHECK (target <> 'api contact') NOT VALID"
        )
        try:
            response = _client(user, raise_request_exception=False).get(
                f"/api/v1/contacts/{person.pk}/"
            )
        finally:
            other.execute("ALTER TABLE crm_accesslog DROP CONSTRAINT refuse_api_reads")

    assert response.status_code == 500
    assert "Hämäläinen" not in response.content.decode()
    assert not AccessLog.objects.exists()
    # The companion is usable again for the next read.
    assert _client(user).get(f"/api/v1/contacts/{person.pk}/").status_code == 200
    assert AccessLog.objects.count() == 1


def test_a_companion_lost_between_requests_is_replaced():
    user, person = UserFactory(), ContactFactory()
    client = _client(user)
    assert client.get(f"/api/v1/contacts/{person.pk}/").status_code == 200
    lost = connection.companion().pgconn.backend_pid
    with _other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [lost])

    assert client.get(f"/api/v1/contacts/{person.pk}/").status_code == 200

    assert AccessLog.objects.count() == 2
    assert connection.companion().pgconn.backend_pid != lost


def test_a_row_whose_connection_is_lost_before_its_commit_is_written_again():
    user, person, earlier = UserFactory(), ContactFactory(), ContactFactory()
    # The statement is prepared (preparing it would wait for the lock below too).
    _in_request(lambda: record_access(user=user, purpose=AccessPurpose.VIEW, contact=earlier))
    with _other_connection() as other:

        def view():
            # The insert waits for the lock; its connection is terminated while it waits.
            with other.transaction():
                other.execute("LOCK TABLE crm_accesslog IN SHARE MODE")
                record_access(user=user, purpose=AccessPurpose.VIEW, contact=person)
                waiting = connection.companion().pgconn.backend_pid
                _wait_for_lock(other, waiting)
                other.execute("SELECT pg_terminate_backend(%s, 5000)", [waiting])

        response = _in_request(view)

    assert response.status_code == 200
    assert AccessLog.objects.filter(contact_ids=[person.pk]).count() == 1
    assert AccessLog.objects.count() == 2


def test_a_row_in_flight_when_its_connection_closes_is_written_once():
    user, person = UserFactory(), ContactFactory()

    def view():
        record_access(user=user, purpose=AccessPurpose.VIEW, contact=person)
        connection.close()  # as a lookup that reconnects closes it (config.db.compiled)

    assert _in_request(view).status_code == 200

    assert AccessLog.objects.filter(contact_ids=[person.pk]).count() == 1


def test_several_rows_in_one_request_are_all_confirmed():
    user, people = UserFactory(), ContactFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        _in_request(
            lambda: [
                record_access(user=user, purpose=AccessPurpose.VIEW, contact=person)
                for person in people
            ]
        )

    assert not [q for q in queries if "crm_accesslog" in q["sql"]]
    assert sorted(AccessLog.objects.values_list("contact_ids", flat=True)) == sorted(
        [[person.pk] for person in people]
    )


def test_outside_a_request_the_row_is_written_at_once_on_the_same_connection():
    user, person = UserFactory(), ContactFactory()

    record_access(user=user, purpose=AccessPurpose.VIEW, contact=person)

    assert AccessLog.objects.get().contact_ids == [person.pk]
    assert connection._companion is None


def test_inside_a_transaction_the_row_commits_or_rolls_back_with_it():
    user, person = UserFactory(), ContactFactory()

    def view():
        with pytest.raises(RuntimeError), transaction.atomic():
            record_access(user=user, purpose=AccessPurpose.VIEW, contact=person)
            raise RuntimeError("rolled back")

    _in_request(view)

    assert not AccessLog.objects.exists()
    assert connection._companion is None


def test_without_prepared_statements_the_row_is_sent_as_it_is(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    user, person = UserFactory(), ContactFactory()

    _in_request(lambda: record_access(user=user, purpose=AccessPurpose.VIEW, contact=person))

    assert AccessLog.objects.get().contact_ids == [person.pk]
    companion = connection.companion()
    assert companion.prepared is None
    assert (
        companion.pgconn.exec_(b"SELECT count(*) FROM pg_prepared_statements").get_value(0, 0)
        == b"0"
    )


def test_the_companion_is_closed_with_its_connection():
    user, person = UserFactory(), ContactFactory()
    _in_request(lambda: record_access(user=user, purpose=AccessPurpose.VIEW, contact=person))
    pid = connection.companion().pgconn.backend_pid

    connection.close()

    with _other_connection() as other:
        for _ in range(500):
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
            time.sleep(0.01)
        else:
            pytest.fail("the companion's backend is still there")
    assert connection._companion is None


def test_a_context_copied_into_another_thread_writes_there_at_once():
    user, person = UserFactory(), ContactFactory()
    companions = []

    def elsewhere():
        record_access(user=user, purpose=AccessPurpose.VIEW, contact=person)
        companions.append(connection._companion)
        connection.close()

    def view():
        worker = threading.Thread(target=contextvars.copy_context().run, args=(elsewhere,))
        worker.start()
        worker.join()

    _in_request(view)

    assert companions == [None]
    assert AccessLog.objects.get().contact_ids == [person.pk]


def test_the_personal_data_page_lists_the_view_it_logs():
    person = ContactFactory()
    client = Client()
    client.force_login(UserFactory(coordinator=True))
    url = reverse("trace:personal_data", args=[person.pk])
    assert client.get(url).status_code == 200  # the insert is prepared
    with _other_connection() as other:
        # The log's insert waits 0.3 s for a lock; the page must wait for it, not read past it.
        other.execute("BEGIN")
        other.execute("LOCK TABLE crm_accesslog IN SHARE MODE")
        release = threading.Timer(0.3, other.execute, ["COMMIT"])
        release.start()
        try:
            page = client.get(url)
        finally:
            release.join()

    assert page.status_code == 200
    assert [entry.target for entry in page.context["access_log"]] == ["personal data"] * 2


def test_a_nul_in_the_target_is_left_out():
    user, person = UserFactory(), ContactFactory()

    _in_request(
        lambda: record_access(
            user=user, purpose=AccessPurpose.VIEW, contact=person, target="/a\x00b"
        )
    )
    record_access(user=user, purpose=AccessPurpose.VIEW, contact=person, target="/c\x00d")

    assert sorted(AccessLog.objects.values_list("target", flat=True)) == ["/ab", "/cd"]

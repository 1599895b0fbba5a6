"""Drill: PostgreSQL restarts under a running web app and Celery worker.

While it is down, requests are answered 503 with Retry-After (never a stack trace) and the
worker retries its task; once it is back, every request succeeds at once, with no restart of
the app: each process's persistent connection is found dead by the health check
(CONN_HEALTH_CHECKS) and replaced.
"""

import time

import pytest

PAGES = ["/admin/", "/admin/auth/group/"]
API_READ = "/test/api/read/"
TRACE_MARKERS = ("Traceback", 'File "', "OperationalError", "psycopg")

# django_db: the stack copies the test database (see conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def assert_no_stack_trace(response):
    for marker in TRACE_MARKERS:
        assert marker not in response.body, response.body[:500]


def warm_up(stack) -> None:
    """Enough requests that both gunicorn workers hold a persistent database connection."""
    for _ in range(6):
        for path in PAGES:
            assert stack.get(path).status == 200
        assert stack.get(API_READ, Accept="application/json").status == 200


def test_a_quick_restart_costs_no_request(stack):
    """No request reaches the app while the server is away, so every worker still holds a dead
    connection afterwards: the health check must find and replace it before the first query."""
    warm_up(stack)

    stack.postgres.stop("fast")
    stack.postgres.start()

    after = [stack.get(path) for path in PAGES * 4]
    after_api = [stack.get(API_READ, Accept="application/json") for _ in range(4)]
    assert [r.status for r in after + after_api] == [200] * 12
    assert stack.wait_for_task(stack.send_task("ops.check_database")) == "succeeded"


def test_during_an_outage_requests_get_503_and_afterwards_all_succeed(stack):
    warm_up(stack)
    assert stack.wait_for_task(stack.send_task("ops.check_database")) == "succeeded"

    stack.postgres.stop("fast")
    try:
        down = [stack.get(path) for path in PAGES * 2]
        down_api = stack.get(API_READ, Accept="application/json")
        ready = stack.get("/readyz", signed_in=False)
        alive = stack.get("/healthz", signed_in=False)
        queued_while_down = stack.send_task("ops.check_database")
        time.sleep(1)  # the worker meets the outage and schedules a retry
    finally:
        stack.postgres.start()

    for response in [*down, down_api]:
        assert response.status == 503
        assert response.headers["retry-after"] == "5"
        assert_no_stack_trace(response)
    assert down_api.headers["content-type"] == "application/json"
    assert ready.status == 503 and "database" in ready.body
    assert alive.status == 200

    after = [stack.get(path) for path in PAGES * 4]
    after_api = [stack.get(API_READ, Accept="application/json") for _ in range(4)]
    assert [r.status for r in after + after_api] == [200] * 12
    for response in after + after_api:
        assert_no_stack_trace(response)
    assert stack.get("/readyz", signed_in=False).status == 200
    # The task that met the outage was retried and done; new ones run as before.
    assert stack.wait_for_task(queued_while_down) == "succeeded", stack.worker_tail()
    assert stack.wait_for_task(stack.send_task("ops.check_database")) == "succeeded"

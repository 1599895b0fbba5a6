"""Schemathesis fuzzes every operation of /api/schema/ against the live Django app (in process,
through WSGI), signed in with a coordinator's token (the role that may do the most).

Checks: no server error (5xx), every status code is one the schema documents, and every
response body conforms to the schema. Positive and negative (schema-violating) inputs both.
Bounded: MAX_EXAMPLES per operation, so the whole run stays around a minute.

Run it alone with:  pytest tests/api/test_schemathesis.py -q
More examples:      SCHEMATHESIS_MAX_EXAMPLES=200 pytest tests/api/test_schemathesis.py -q
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from advocacy import services
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    GoalFactory,
    MeetingFactory,
    NetworkMembershipFactory,
    OrganisationFactory,
    TopicFactory,
    UserFactory,
)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing").split(",")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def api_token(db, coordinator, trustee, other_trustee, tervo) -> str:
    """The coordinator's token, and a little of everything for the requests to find."""
    organisation = OrganisationFactory(municipality=tervo)
    contact = ContactFactory(organisation=organisation)
    topic = TopicFactory(owner=coordinator)
    goal = GoalFactory(topic=topic, owner=coordinator)
    meeting = services.log_meeting(
        author=trustee, title="Liikenneyhteydet", contacts=[contact], topics=[topic], goals=[goal]
    )
    FollowUpFactory(meeting=meeting, assignee=coordinator)
    MeetingFactory(author=other_trustee, visibility="restricted", contacts=[contact])
    NetworkMembershipFactory(contact=contact)
    UserFactory(staff=True, municipality=tervo)
    return Token.objects.create(user=coordinator).key


@pytest.fixture(autouse=True)
def settings_for_fuzzing(settings, monkeypatch):
    # Schemathesis's WSGI client sends "Host: localhost".
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # Throttling is tested in test_auth.py; here it would only stop the fuzzing.
    monkeypatch.setattr(SimpleRateThrottle, "get_rate", lambda self: None)
    # The raw WSGI handler would close the test's database connection (in its transaction)
    # after each request; Django's own test client switches this off the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi_app(settings_for_fuzzing) -> WSGIHandler:
    """The project's WSGI application, built after the test settings are in place (its
    middleware reads them once, e.g. the plain-HTTP test setting of tests/conftest.py)."""
    return WSGIHandler()


def served_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (the same generator, public).

    Loaded at collection, when no request can be made yet (pytest-django allows test hosts
    only once tests run); test_the_fuzzed_schema_is_the_served_one checks they are equal.
    """
    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(
    served_schema(),
    config=SchemathesisConfig.from_dict(
        {"phases": {"coverage": {"enabled": "coverage" in PHASES}}}
    ),
)


def test_the_fuzzed_schema_is_the_served_one(anonymous):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert json.loads(response.content) == json.loads(json.dumps(served_schema()))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_conforms_to_the_schema(case, api_token, wsgi_app):
    case.call_and_validate(
        app=wsgi_app, headers={"Authorization": f"Token {api_token}"}, checks=CHECKS
    )

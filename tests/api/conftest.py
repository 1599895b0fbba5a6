"""Fixtures of the REST API tests: clients signed in as each role, and fresh throttle counters."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from crm.models import User

_cache_names = itertools.count()


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """A new in-process cache per test: throttle counters neither leak between tests nor reach
    a shared Redis (whose data must never be cleared by tests)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-test-{next(_cache_names)}",
        }
    }


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) → an APIClient authenticated as the user (no auth queries)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
            # force_authenticate skips the token authentication that switches to the user's
            # language; ask for it instead, as the user's own client would be answered.
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = user.language
        return client

    return make


@pytest.fixture
def roles(trustee, staff, coordinator, admin_role_user, other_trustee) -> dict[str, User]:
    """One user of each role; "other" is a trustee of another municipality (Keitele)."""
    return {
        "trustee": trustee,
        "staff": staff,
        "coordinator": coordinator,
        "admin": admin_role_user,
        "other": other_trustee,
    }

"""Fixtures of the web page tests (the users of each role come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from crm.models import Role, User
from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    """A user of any role; by default a trustee of a municipality of the factory's choosing."""

    def make(*, role: str = Role.TRUSTEE, **fields) -> User:
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def signed_in(client):
    """Sign `user` in on the test client and return the client."""

    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def plain_static_storage(settings, tmp_path):
    """Pages link to static files; without collectstatic the manifest storage cannot name them."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # WhiteNoise warns about a missing STATIC_ROOT; the finders serve the files in tests.
    settings.STATIC_ROOT = tmp_path

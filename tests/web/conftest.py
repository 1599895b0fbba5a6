"""Fixtures of the web page tests (the users of each role come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

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
    """Without collectstatic's manifest (a bare `pytest` run), name static files plainly.

    `make test` collects first, so there the manifest is used and a template referring to a
    missing static file fails its test.
    """
    if (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        return
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # WhiteNoise warns about a missing STATIC_ROOT; nothing is served from it in these tests.
    settings.STATIC_ROOT = tmp_path

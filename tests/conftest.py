"""Shared fixtures: the seeded municipalities, a user of each role, a frozen clock."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

import pytest

from crm.models import Municipality, User
from tests.factories import UserFactory, joint_organisation, municipality

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
# A Tuesday morning in Helsinki; tests that depend on the clock freeze it here.
FROZEN_NOW = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=HELSINKI)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing passwords with the production hasher would dominate the suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def now(time_machine) -> datetime.datetime:
    """Freeze the clock at FROZEN_NOW (it does not tick) and return that moment."""
    time_machine.move_to(FROZEN_NOW, tick=False)
    return FROZEN_NOW


@pytest.fixture
def tervo(db) -> Municipality:
    return municipality("Tervo")


@pytest.fixture
def keitele(db) -> Municipality:
    return municipality("Keitele")


@pytest.fixture
def savogrow(db) -> Municipality:
    return joint_organisation()


@pytest.fixture
def trustee(tervo) -> User:
    return UserFactory(trustee=True, municipality=tervo, username="trustee.tervo")


@pytest.fixture
def staff(tervo) -> User:
    return UserFactory(staff=True, municipality=tervo, username="staff.tervo")


@pytest.fixture
def other_trustee(keitele) -> User:
    return UserFactory(trustee=True, municipality=keitele, username="trustee.keitele")


@pytest.fixture
def coordinator(savogrow) -> User:
    return UserFactory(coordinator=True, username="coordinator")


@pytest.fixture
def admin_role_user(db) -> User:
    """A user of the admin role (manages users) who belongs to no municipality."""
    return UserFactory(admin=True, username="admin.role")


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Each test starts with an empty cache: with REDIS_URL the cache is shared Redis, where an
    earlier run's throttle counts (the same user ids in a fresh database) would still be."""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"kuusikko-test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _plain_http_test_client(settings):
    """The test client speaks plain HTTP; with DEBUG off the app would redirect it to HTTPS.

    The redirect, HSTS and the secure cookies are tested on their own in tests/test_headers.py.
    """
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _static_files_without_collectstatic(settings):
    """With DEBUG off the manifest storage needs `collectstatic` before any page can render."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

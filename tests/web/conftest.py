"""Fixtures of the web page tests: users of two municipalities and a coordinator, signed in."""

from __future__ import annotations

import itertools

import pytest

from crm.models import Municipality, Role, User

_numbers = itertools.count(1)


@pytest.fixture
def keitele(db) -> Municipality:
    # get_or_create: a transactional (e2e) test before this one may have flushed the table.
    return Municipality.objects.get_or_create(name="Keitele", defaults={"code": "239"})[0]


@pytest.fixture
def tervo(db) -> Municipality:
    return Municipality.objects.get_or_create(name="Tervo", defaults={"code": "844"})[0]


@pytest.fixture
def make_user(db):
    def make(*, role: str = Role.TRUSTEE, municipality: Municipality | None = None, **extra):
        n = next(_numbers)
        extra.setdefault("first_name", f"First{n}")
        extra.setdefault("last_name", f"Last{n}")
        return User.objects.create_user(
            username=f"user{n}",
            password="a-long-enough-password",
            role=role,
            municipality=municipality,
            email=f"user{n}@example.fi",
            **extra,
        )

    return make


@pytest.fixture
def trustee(make_user, keitele) -> User:
    return make_user(role=Role.TRUSTEE, municipality=keitele)


@pytest.fixture
def other_trustee(make_user, tervo) -> User:
    return make_user(role=Role.TRUSTEE, municipality=tervo)


@pytest.fixture
def coordinator(make_user) -> User:
    return make_user(
        role=Role.COORDINATOR,
        municipality=Municipality.objects.get_or_create(
            is_joint_organisation=True, defaults={"name": "SavoGrow"}
        )[0],
    )


@pytest.fixture
def signed_in(client):
    """Sign `user` in on the test client and return the client."""

    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Pages link to static files; without collectstatic the manifest storage cannot name them."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

"""backup_db and restore_db: a seeded database backed up, restored into an empty one, equal."""

import os
import stat
import subprocess  # noqa: S404
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ops.postgres import client_major_version, find_client
from tests.factories import (
    ContactFactory,
    FollowUpFactory,
    GoalFactory,
    MeetingFactory,
    OrganisationFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parent.parent


def database_url(settings_dict: dict, name: str) -> str:
    """A DATABASE_URL for database `name` on the server of `settings_dict`."""
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict.get("PASSWORD"):
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    netloc = f"{credentials}@{settings_dict.get('HOST') or ''}"
    if settings_dict.get("PORT"):
        netloc += f":{settings_dict['PORT']}"
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if key in ("host", "port")
    }
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{netloc}/{name}{query}"


def maintenance_connection(settings_dict: dict) -> psycopg.Connection:
    params = {
        "dbname": "postgres",
        "user": settings_dict["USER"],
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        **{k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if k in ("host", "port")},
    }
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v})


def row_counts(conn) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
    ]
    return {
        table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        for table in tables
    }


def manage(*arguments: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )


def seed() -> None:
    """A little of everything: users, organisations, contacts, meetings, goals, follow-ups."""
    author = UserFactory()
    organisation = OrganisationFactory()
    contacts = ContactFactory.create_batch(3, organisation=organisation)
    for contact in contacts:
        meeting = MeetingFactory(author=author, contacts=[contact])
        FollowUpFactory(meeting=meeting)
    GoalFactory.create_batch(2)


@pytest.fixture
def restore_target():
    """An empty database beside the test database, dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restore"
    with maintenance_connection(settings_dict) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with maintenance_connection(settings_dict) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_restores_into_an_empty_database_with_every_row(tmp_path, restore_target):
    seed()
    backup = tmp_path / "kuusikko.dump"

    call_command("backup_db", output=str(backup))

    target_url = database_url(connection.settings_dict, restore_target)
    restored = manage("restore_db", "--input", str(backup), database_url=target_url)
    assert restored.returncode == 0, restored.stderr
    with connection.cursor() as cursor:
        source_counts = row_counts(cursor.connection)
    with psycopg.connect(target_url) as conn:
        assert row_counts(conn) == source_counts
    assert source_counts["crm_user"] >= 1
    assert source_counts["crm_contact"] == 3
    assert source_counts["advocacy_meeting"] == 3
    assert sum(source_counts.values()) > 30
    migrations = manage("migrate", "--check", "--noinput", database_url=target_url)
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr

    # A second restore into the now non-empty database is refused, unless forced.
    again = manage("restore_db", "--input", str(backup), database_url=target_url)
    assert again.returncode != 0
    assert "is not empty" in again.stderr
    forced = manage("restore_db", "--input", str(backup), "--force", database_url=target_url)
    assert forced.returncode == 0, forced.stderr
    with psycopg.connect(target_url) as conn:
        assert row_counts(conn) == source_counts


@pytest.mark.django_db
def test_restore_into_the_running_database_is_refused(tmp_path):
    backup = tmp_path / "x.dump"
    backup.write_bytes(b"not used")

    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore_db", input=str(backup))


@pytest.mark.django_db
def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    backup = tmp_path / "kuusikko.dump"

    call_command("backup_db", output=str(backup))

    assert backup.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["kuusikko.dump"]


@pytest.mark.django_db
def test_a_backup_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(CommandError, match="No such directory"):
        call_command("backup_db", output=str(tmp_path / "missing" / "kuusikko.dump"))


def test_the_client_of_the_servers_own_major_version_is_preferred():
    embedded = find_client("pg_dump", 180000)
    assert client_major_version(embedded) == 18

    with pytest.raises(CommandError, match="PostgreSQL 99 or newer"):
        find_client("pg_dump", 990000)

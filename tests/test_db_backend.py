"""config/db: Django's PostgreSQL backend with timestamps read by psycopg's compiled loader.

The values must be exactly what Django's own loader gives: aware datetimes in
`datetime.timezone.utc`, to the microsecond, whatever offset the text was written with.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from config.db.base import TIMESTAMPTZ_OID, UtcTimestamptzLoader
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
TEXTS = [
    "2026-11-29 01:02:03.000001+00",
    "2026-06-01 12:00:00+03",  # summer time in Helsinki
    "2026-01-01 00:00:00.5-05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def read(texts: list[str], *, djangos_own: bool = False) -> list[datetime.datetime]:
    with connection.cursor() as cursor:
        if djangos_own:  # Django's Python loader, as the stock backend registers it
            register_tzloader(UTC, cursor.cursor)
            loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
            assert loader is not UtcTimestamptzLoader
        cursor.execute(
            "SELECT " + ", ".join(["%s::timestamptz"] * len(texts)),  # nosec B608: placeholders
            texts,
        )
        return list(cursor.fetchone())


def test_the_connection_reads_timestamps_with_the_compiled_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert loader is UtcTimestamptzLoader
    assert connection.connection.info.parameter_status("TimeZone") == "UTC"


def test_timestamps_are_what_djangos_own_loader_gives():
    ours = read(TEXTS)
    djangos = read(TEXTS, djangos_own=True)

    assert ours == djangos
    assert [value.tzinfo for value in ours] == [UTC] * len(TEXTS)
    assert ours[1] == datetime.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    assert ours[2].microsecond == 500_000
    assert ours[2].isoformat() == djangos[2].isoformat() == "2026-01-01T05:30:00.500000+00:00"


def test_a_timestamp_python_cannot_hold_is_an_error_as_before():
    for djangos_own in (False, True):
        with pytest.raises(DataError):
            read(["infinity"], djangos_own=djangos_own)


def test_models_read_back_the_time_they_saved():
    at = datetime.datetime(2025, 3, 30, 0, 59, 59, 999_999, tzinfo=UTC)  # before DST began

    meeting = MeetingFactory(occurred_at=at)
    meeting.refresh_from_db()

    assert meeting.occurred_at == at and meeting.occurred_at.tzinfo is UTC

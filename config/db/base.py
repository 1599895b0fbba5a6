"""Django's PostgreSQL backend, reading timestamps with psycopg's compiled loader.

Django reads every `timestamptz` through a Python subclass of psycopg's loader (it sets the
connection's time zone on each value): a few microseconds a value, a tenth of a contacts page's
CPU (make bench). psycopg's compiled loader gives the same aware datetime, in
`datetime.timezone.utc`, when the session's TimeZone is UTC, which Django sets when USE_TZ is
on and the database has no TIME_ZONE of its own. Only then is it used; otherwise, and without
psycopg's binary package, this is Django's backend unchanged.
"""

from __future__ import annotations

import datetime

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.postgres import types
from psycopg.pq import Format

TIMESTAMPTZ_OID = types["timestamptz"].oid
# psycopg's own loader: the compiled one when psycopg[binary] is installed.
_PSYCOPG_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(BaseTzLoader):
    """Django's loader of a UTC connection, with psycopg's `load` (no Python per value)."""

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = _PSYCOPG_LOADER(oid, context).load


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.timezone == datetime.UTC:
            connection.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)
        return connection

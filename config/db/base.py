"""Django's PostgreSQL backend, reading timestamps with psycopg's compiled loader, with
cursors whose statements PostgreSQL prepares for the lookups compiled once per process.

Django reads every `timestamptz` through a Python subclass of psycopg's loader (it sets the
connection's time zone on each value): a few microseconds a value, a tenth of a contacts page's
CPU (make bench). psycopg's compiled loader gives the same aware datetime, in
`datetime.timezone.utc`, when the session's TimeZone is UTC, which Django sets when USE_TZ is
on and the database has no TIME_ZONE of its own. Only then is it used; otherwise, and without
psycopg's binary package, Django's loader reads them.

`prepared_cursor()` is the cursor of `config.db.compiled.CompiledLookup`; the ORM's queries
keep Django's cursors.
"""

from __future__ import annotations

import contextlib
import datetime

import psycopg
from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import BaseTzLoader, register_tzloader
from psycopg.postgres import types
from psycopg.pq import Format

from config.db.confirmed import Companion

TIMESTAMPTZ_OID = types["timestamptz"].oid
# psycopg's own loader: the compiled one when psycopg[binary] is installed.
_PSYCOPG_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(BaseTzLoader):
    """Django's loader of a UTC connection, with psycopg's `load` (no Python per value)."""

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = _PSYCOPG_LOADER(oid, context).load


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """The SQL with its values, for the query log and the tests' query capture, of a
        prepared statement too (psycopg keeps no text of those: Django's gives None)."""
        if isinstance(cursor, base.ServerBindingCursor):
            with contextlib.suppress(psycopg.errors.DataError):
                return self.compose_sql(sql, params)
            return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.timezone == datetime.UTC:
            connection.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)
        return connection

    def prepared_cursor(self):
        """A cursor that binds its parameters on the server, so that psycopg has PostgreSQL
        prepare its statements (parsed and planned once per connection; the OPTIONS'
        `prepare_threshold`, which Django leaves off): for `config.db.compiled.CompiledLookup`,
        whose SQL is the same at every call. Made and wrapped as Django makes its own cursors
        (health check, time zone, query logging and the execute wrappers); the ORM's cursors
        bind on the client and are never prepared."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = base.ServerBindingCursor(self.connection)
            if (
                self.timezone
                != self.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone
            ):
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

    # The second connection of `config.db.confirmed`, opened at its first use and closed with
    # this one (at CONN_MAX_AGE, a failed health check, the end of a test).
    _companion: Companion | None = None

    def companion(self) -> Companion:
        if self._companion is None:
            prepare = self.settings_dict["OPTIONS"].get("prepare_threshold") is not None
            self._companion = Companion(self.get_connection_params(), prepare=prepare)
        return self._companion

    def close_companion(self) -> None:
        if self._companion is not None:
            companion, self._companion = self._companion, None
            companion.close()

    def close(self):
        self.close_companion()
        super().close()

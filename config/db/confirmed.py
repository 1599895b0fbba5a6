"""Writes committed beside the request and confirmed before its response leaves.

Reading a person's data is logged, and the log row must be committed before the data is sent
(crm.gdpr.record_access). Written on the request's connection, the row's commit waits for the
write-ahead log's flush, and everything after it waits too: at tier L that wait was a fifth of
a contact's detail (make bench; docs/BENCHMARKS.md).

`send(statement, values)` sends the statement at once on a second connection of the worker's
(autocommit; prepared once per connection, as `DB_PREPARED_STATEMENTS` allows) and returns
without waiting. `ConfirmWritesMiddleware` waits for its commit when the response is ready:
the flush overlaps the rest of the request, and a write that failed raises there, so the
response becomes an error and nothing is sent unlogged. A connection lost on the way is
reconnected and the statement run again (a row may then be written twice, never lost).
`confirm()` waits at once, for a request that reads back what it wrote.

Only inside a request through the middleware and outside a transaction: elsewhere `send()`
returns False and the caller writes through the ORM as usual. (A transaction's rows commit or
roll back with it, and the tests' transactions hold rows no other connection can see.)
"""

from __future__ import annotations

import contextvars
import hashlib
import select
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections
from django.db.models import Model
from psycopg import conninfo, pq


@dataclass
class _Request:
    """The statements a request sent and has not confirmed, and the thread it runs in (a
    context copied into another thread does not send: its connections are not this one's)."""

    thread: int = field(default_factory=threading.get_ident)
    pending: list = field(default_factory=list)


_request: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
    "confirmed_writes", default=None
)


@dataclass(frozen=True)
class Statement:
    """One statement of fixed SQL with positional parameters ($1, $2, …) given as text."""

    name: bytes
    sql: bytes

    @classmethod
    def insert(cls, model: type[Model], fields: Sequence[str]) -> Statement:
        """INSERT of one row of `model`, the values of `fields` in their order."""
        meta = model._meta
        connection = connections[DEFAULT_DB_ALIAS]
        columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
        slots = ", ".join(f"${n}" for n in range(1, len(fields) + 1))
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608  # nosec B608: quoted model names, values bound
            f"VALUES ({slots})"
        )
        digest = hashlib.sha256(sql.encode()).hexdigest()[:8]
        return cls(name=f"kuusikko_insert_{meta.db_table}_{digest}".encode(), sql=sql.encode())


def libpq_conninfo(connection_params: dict) -> str:
    """libpq's connection string of Django's connection parameters (without psycopg's own)."""
    keywords = {option.keyword.decode() for option in pq.Conninfo.get_defaults()}
    params = {key: value for key, value in connection_params.items() if key in keywords}
    return conninfo.make_conninfo("", **params)


class LostConnection(OperationalError):
    """The connection was lost with a statement in flight: whether it committed is unknown."""


class Companion:
    """A worker's second connection, in libpq's autocommit (see the module's text); kept and
    closed with the connection it accompanies (config.db.base.DatabaseWrapper.companion).
    One statement in flight at a time."""

    def __init__(self, connection_params: dict, prepare: bool) -> None:
        self.pgconn = pq.PGconn.connect(libpq_conninfo(connection_params).encode())
        if self.pgconn.status != pq.ConnStatus.OK:
            message = self.pgconn.error_message.decode(errors="replace")
            self.pgconn.finish()
            raise OperationalError(message)
        # The names of the statements prepared on it; None where statements are not prepared.
        self.prepared: set[bytes] | None = set() if prepare else None
        self.in_flight = False
        # How the statement in flight ended when the connection was closed before it was
        # confirmed (None: committed), for `finish()` to answer.
        self._outcome: DatabaseError | None = None

    def send(self, statement: Statement, params: list[bytes | None]) -> None:
        try:
            if self.prepared is None:
                self.pgconn.send_query_params(statement.sql, params)
            else:
                if statement.name not in self.prepared:
                    self._check(self.pgconn.prepare(statement.name, statement.sql))
                    self.prepared.add(statement.name)
                self.pgconn.send_query_prepared(statement.name, params)
        except psycopg.Error as error:
            raise OperationalError(str(error)) from error
        self.in_flight, self._outcome = True, None

    def finish(self) -> None:
        """Wait for the statement sent (without holding the interpreter's lock); raise
        DatabaseError if it failed, LostConnection if the connection was lost first."""
        if not self.in_flight:
            outcome, self._outcome = self._outcome, None
            if outcome is not None:
                raise outcome
            return
        self.in_flight = False
        try:
            while True:
                self.pgconn.consume_input()
                if not self.pgconn.is_busy():
                    break
                select.select([self.pgconn.socket], [], [])
            results = []
            while (result := self.pgconn.get_result()) is not None:
                results.append(result)
        except psycopg.Error as error:
            raise LostConnection(str(error)) from error
        for result in results:
            self._check(result)
        if not any(result.status == pq.ExecStatus.COMMAND_OK for result in results):
            raise LostConnection("no result for the statement sent")

    def _check(self, result: pq.PGresult) -> None:
        if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            return
        message = result.error_message.decode(errors="replace") or "write failed"
        if self.pgconn.status != pq.ConnStatus.OK:
            raise LostConnection(message)
        raise DatabaseError(message)

    def close(self) -> None:
        """Close it; a statement in flight is waited for first (its outcome kept for
        `finish()`), so that it is neither lost nor sent twice."""
        if self.in_flight:
            try:
                self.finish()
            except DatabaseError as error:
                self._outcome = error
        self.pgconn.finish()


def send(statement: Statement, values: Sequence[str | None]) -> bool:
    """Send `statement` to be committed on its own and confirmed before the response; False
    (nothing sent) outside a request or inside a transaction, where the caller writes itself."""
    request = _request.get()
    connection = connections[DEFAULT_DB_ALIAS]
    if (
        request is None
        or request.thread != threading.get_ident()
        or connection.in_atomic_block
        or not connection.get_autocommit()
    ):
        return False
    params = [None if value is None else value.encode() for value in values]
    # One statement in flight per connection: the one before is confirmed first.
    _confirm(connection, request.pending)
    try:
        connection.companion().send(statement, params)
    except OperationalError:
        # Lost since its last use (a restarted server): once more on a new connection.
        connection.close_companion()
        connection.companion().send(statement, params)
    request.pending.append((connection.companion(), statement, params))
    return True


def confirm() -> None:
    """Wait for the commit of what this request sent (before it reads it back)."""
    request = _request.get()
    if request is not None and request.thread == threading.get_ident():
        _confirm(connections[DEFAULT_DB_ALIAS], request.pending)


def _confirm(connection, pending: list) -> None:
    """Wait for the commit of every statement sent; DatabaseError if one failed."""
    error = None
    while pending:
        companion, statement, params = pending.pop(0)
        try:
            companion.finish()
            continue
        except LostConnection:
            pass
        except DatabaseError as failed:
            error = error or failed
            continue
        # Whether the row was committed is unknown: run it again on a new connection (a row
        # may be written twice, never lost).
        if connection._companion is companion:
            connection.close_companion()
        try:
            companion = connection.companion()
            companion.send(statement, params)
            companion.finish()
        except DatabaseError as again:
            error = error or again
    if error is not None:
        raise error


class ConfirmWritesMiddleware:
    """Lets `send()` defer its writes during a request, and confirms them before the response
    leaves (placed first, so that the rest of the middleware overlaps the commit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _Request()
        token = _request.set(state)
        response = None
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
            try:
                _confirm(connections[DEFAULT_DB_ALIAS], state.pending)
            except DatabaseError:
                if response is not None:
                    response.close()  # not sent: its files and the like are let go
                raise
        return response

"""Hot lookups whose SQL is compiled once per process.

The ORM builds and compiles a queryset's SQL on every call. For a lookup of one fixed shape
that runs on nearly every request, that costs more than the query itself: the API token's
user (in-process, 0.75-1.0 ms CPU through the ORM against 0.2 ms with the SQL in hand) and a
contact's detail row (2.4-3.1 ms against 0.25 ms: its subqueries and JSON objects are
resolved and compiled anew each time).

`CompiledLookup(build)` calls `build(marker)` once, at the first use, compiles the queryset it
returns and remembers where the marker went among the parameters; each later call runs that
SQL with the value in the marker's place, through the connection's cursor (so the query
wrappers, logging and tests' query capture see it), and applies the fields' converters as the
ORM would. Only for querysets whose shape does not depend on the value, the request or the
time; `tests/test_compiled.py` compares its results with the ORM's.

The cursor binds the parameters on the server, and PostgreSQL prepares the statement at its
first run on a connection (`DB_PREPARED_STATEMENTS`, on by default): parsing and planning
were half the database's time of a contact's detail at tier L (make bench; docs/BENCHMARKS.md).
A statement whose result type a migration changed under a running worker is prepared afresh
on a new connection.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import NotSupportedError, connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable, ValuesIterable

# The marker of a lookup by a list of ids (`in_ids`): an array of one id that no row has.
ID_ARRAY_MARKER = "{-1}"


def in_ids(ids: str) -> RawSQL:
    """For `field__in=in_ids(id_array(ids))`: the ids as one array parameter,
    `IN (SELECT unnest(%s::bigint[]))`, so that the SQL is the same for any number of ids. A
    CompiledLookup of it has the marker ID_ARRAY_MARKER and takes `id_array(ids)`."""
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


def id_array(ids: Iterable[int]) -> str:
    """Ids as PostgreSQL's text of an array, "{1,2,3}": one string parameter. (psycopg dumps a
    Python list element by element in Python: 0.5 ms CPU for fifty ids.)"""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


def _fetch(connection, sql: str, params: list[Any]) -> list[tuple]:
    # The backend's cursor whose statements PostgreSQL prepares (config.db.base, the ENGINE of
    # every database here), where the settings allow it (DB_PREPARED_STATEMENTS).
    with connection.prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _plan_outdated(error: NotSupportedError) -> bool:
    return "cached plan must not change result type" in str(error)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slot: int
    names: tuple[str, ...]
    # {column index: (converter functions, expression)}, as SQLCompiler.get_converters gives.
    converters: dict[int, tuple[list[Callable], Any]]
    model: Any
    values: bool
    db: str


class CompiledLookup:
    """`build(value)` is a queryset (model instances or `.values()` dicts) filtered by `value`;
    `marker` is a value of the same type that no real lookup uses."""

    def __init__(self, build: Callable[[Any], QuerySet], marker: Any) -> None:
        self._build = build
        self._marker = marker

    @functools.cached_property
    def _compiled(self) -> _Compiled:
        queryset = self._build(self._marker)
        query = queryset.query
        values = queryset._iterable_class is ValuesIterable
        if not values and queryset._iterable_class is not ModelIterable:
            raise ValueError("CompiledLookup gives model instances or .values() dicts.")
        if not values and (
            query.select_related
            or queryset._prefetch_related_lookups
            or query.annotation_select
            or query.extra_select
        ):
            raise ValueError("CompiledLookup reads instances of one model's own columns only.")
        compiler = query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = [i for i, param in enumerate(params) if param == self._marker]
        if len(slots) != 1:
            raise ValueError(f"the marker must be one parameter of the query, not {len(slots)}")
        expressions = [column[0] for column in compiler.select]
        if values:
            names = (*query.extra_select, *query.values_select, *query.annotation_select)
        else:
            names = tuple(expression.target.attname for expression in expressions)
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            names=names,
            converters=compiler.get_converters(expressions),
            model=queryset.model,
            values=values,
            db=queryset.db,
        )

    def __call__(self, value: Any) -> list[Any]:
        """The rows for `value`: dicts for a `.values()` queryset, else model instances."""
        compiled = self._compiled
        params = list(compiled.params)
        params[compiled.slot] = value
        connection = connections[compiled.db]
        try:
            rows = _fetch(connection, compiled.sql, params)
        except NotSupportedError as error:
            if not _plan_outdated(error):
                raise
            # A column this prepared statement reads changed type under the connection (a
            # migration while the worker ran). A new connection prepares it afresh; inside a
            # transaction (aborted now) the connection is replaced when the request ends.
            if connection.in_atomic_block:
                connection.close_at = time.monotonic()
                raise
            connection.close()
            rows = _fetch(connection, compiled.sql, params)
        if compiled.converters:
            rows = [self._convert(list(row), compiled.converters, connection) for row in rows]
        if compiled.values:
            return [dict(zip(compiled.names, row, strict=True)) for row in rows]
        return [compiled.model.from_db(compiled.db, compiled.names, row) for row in rows]

    @staticmethod
    def _convert(row: list[Any], converters, connection) -> list[Any]:
        for index, (functions, expression) in converters.items():
            value = row[index]
            for function in functions:
                value = function(value, expression, connection)
            row[index] = value
        return row

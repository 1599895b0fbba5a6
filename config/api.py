"""What every endpoint of the REST API shares: errors, pagination, filtering, ordering,
permissions by rule, versions (ETag / If-Match) and the OpenAPI schema's error responses.

The apps' `api.py` modules build on this; the router that wires them is `config.api_router`,
the OpenAPI schema class is in `config.api_schema`, authentication and permissions in
`config.api_auth`. Nothing here imports an app, a view module
or drf-spectacular: DRF imports the classes named in its settings while it is itself being
imported.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator as DjangoPaginator
from django.db import DataError, IntegrityError, connection, models
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.db.compiled import CompiledLookup, id_array
from crm.versioning import VersionConflict

# --- Errors ----------------------------------------------------------------------------------
# Validation errors have one shape everywhere: {"field": ["message", ...]}, with messages about
# the whole request under "non_field_errors". Other errors are {"detail": "message"}.


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = gettext_lazy(
        'Send the version you last read: an If-Match header ("ETag" of the resource) or a '
        '"version" field.'
    )
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The resource was changed by someone else since you read it. Read it again."
    )
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class StaleVersion(Conflict):
    default_detail = gettext_lazy(
        "The resource was changed by someone else since you read it (its version is newer). "
        "Read it again."
    )
    default_code = "stale_version"


def validation_error_detail(error: DjangoValidationError) -> dict[str, Any]:
    """A Django ValidationError (from a service or a model's full_clean) in the API's shape."""
    detail = serializers.as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail.setdefault(api_settings.NON_FIELD_ERRORS_KEY, [])
        detail[api_settings.NON_FIELD_ERRORS_KEY] += detail.pop(NON_FIELD_ERRORS)
    return detail


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, taught the exceptions our services and the database raise.

    Services raise Django's ValidationError and PermissionDenied; they become 400 and 403 with
    their messages. A stale version becomes 409 (the view turns it into 412 for If-Match).
    What the database refuses never surfaces as a 500.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, Http404):
        # Django's "No Meeting matches the given query." names internals and is untranslated.
        exc = exceptions.NotFound()
    elif isinstance(exc, VersionConflict):
        exc = StaleVersion()
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(_("Other records still refer to this one, so it cannot be deleted."))
    elif isinstance(exc, IntegrityError):
        exc = Conflict(_("The change conflicts with another record (e.g. a duplicate)."))
    elif isinstance(exc, DataError):
        exc = exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("A value is invalid or too long.")]}
        )
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


# --- Views -----------------------------------------------------------------------------------


# --- Versions: ETag, If-Match and the "version" field ------------------------------------------

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')


def etag(instance) -> str:
    return f'"{instance.version}"'


def parse_if_match(header: str) -> set[int] | None:
    """The versions named by an If-Match header; None for "*" (which names no version).

    Weak tags never match (If-Match compares strongly, RFC 9110 13.1.1); tags that are not a
    version number match nothing.
    """
    if header.strip() == "*":
        return None
    versions = set()
    for part in header.split(","):
        match = _ENTITY_TAG.fullmatch(part)
        if match and not match.group(1) and match.group(2).isdigit():
            versions.add(int(match.group(2)))
    return versions


@dataclass(frozen=True)
class Precondition:
    """The version a client based its write on, and where it said so."""

    version: int
    from_header: bool

    def stale(self) -> exceptions.APIException:
        # If-Match that does not match is 412 (RFC 9110); a stale version field is 409.
        return PreconditionFailed() if self.from_header else StaleVersion()


class VersionedMixin:
    """Detail responses carry an ETag; PUT and PATCH must say which version they change.

    The version comes from If-Match or a "version" field in the body; without either the
    write is refused (428). The view compares early (a cheap 412/409 before validation), and
    the service compares again under the row lock, where it counts.
    """

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def get_precondition(self, request, instance) -> Precondition:
        header = request.headers.get("If-Match")
        if header is not None:
            versions = parse_if_match(header)
            if versions is None:
                raise PreconditionRequired()
            precondition = Precondition(
                version=instance.version if instance.version in versions else 0,
                from_header=True,
            )
        else:
            raw = request.data.get("version") if isinstance(request.data, Mapping) else None
            if raw is None:
                raise PreconditionRequired()
            field = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
            try:
                version = field.run_validation(raw)
            except exceptions.ValidationError as error:
                raise exceptions.ValidationError({"version": error.detail}) from error
            precondition = Precondition(version=version, from_header=False)
        if precondition.version != instance.version:
            raise precondition.stale()
        return precondition

    def versioned_write(self, precondition: Precondition, write: Callable[..., Any]) -> Any:
        """Run a service call that was given `expected_version=precondition.version`."""
        try:
            return write()
        except VersionConflict as conflict:
            raise precondition.stale() from conflict


class ServiceWritesMixin:
    """Viewsets whose writes go through services: the input serializer validates and the
    service writes; the response shows the saved row as the output serializer does, read again
    through `get_queryset()` (the caller's scope and the endpoint's fetch shape)."""

    input_serializer_class: type[serializers.Serializer] | None = None

    def get_input_serializer_class(self):
        return self.input_serializer_class

    def validated_input(
        self,
        data,
        *,
        instance=None,
        partial: bool = False,
        serializer_class=None,
        keep_version: bool = False,
    ) -> dict[str, Any]:
        serializer_class = serializer_class or self.get_input_serializer_class()
        serializer = serializer_class(
            instance, data=data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        if not keep_version:
            values.pop("version", None)  # PUT and PATCH read it in get_precondition()
        return values

    def respond(
        self, instance, status_code: int = status.HTTP_200_OK, *, reread: bool = True
    ) -> Response:
        """The saved row as the output serializer shows it. `reread=False` when the service
        returned it with everything the serializer reads in hand (and the caller may see it)."""
        fresh = self.get_queryset().get(pk=instance.pk) if reread else instance
        headers = {"ETag": etag(fresh)} if hasattr(fresh, "version") else None
        return Response(self.get_serializer(fresh).data, status=status_code, headers=headers)


# --- Hot lists read as rows --------------------------------------------------------------------


def datetime_text(value, zone) -> str | None:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the current time zone."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def prebuilt(build: Callable[[], models.QuerySet]) -> Callable[[], models.QuerySet]:
    """A function giving a copy (`.all()`) of the queryset `build()` makes, which it makes
    once per process, at the first call: as DRF copies a view's `queryset` for each request.

    For the row querysets of the hot reads (`list_rows()`, `detail_rows()`): resolving their
    fields, joins and subqueries took longer than running them (tier L: 4 of a contact
    detail's 11 ms of CPU). Only for querysets that depend on nothing of the request or the
    time: filter the copy with what does (`visible_to(user)`, a filter, a lookup).
    """
    built = functools.cache(build)
    return lambda: built().all()


class RowReadMixin:
    """Hot reads as rows, not as model instances through a serializer.

    For the actions in `row_actions` ("list", and "retrieve" where the detail is hot too)
    `get_queryset()` returns a `.values()` queryset (the model's `list_rows()` or
    `detail_rows()`), which goes through the same filters, lookup and paginator as ever; each
    row is then shaped by the function `row_representer(zone)` returns. A model instance, a
    prefetch cache and a serializer field per value cost a list ten times its SQL. The
    serializer classes still describe the responses in the OpenAPI schema, and the API tests
    compare the two outputs row for row. Writes and their responses keep model instances.
    """

    row_actions: tuple[str, ...] = ("list",)

    def reads_rows(self) -> bool:
        return self.action in self.row_actions

    def row_representer(self, zone) -> Callable[[dict[str, Any]], dict[str, Any]]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if self.page_lookup is not None and self.paginator is not None:
            queryset = queryset.values(*self.key_fields(queryset))
        page = self.paginate_queryset(queryset)
        rows = queryset if page is None else page
        if self.page_lookup is not None:
            rows = self.page_rows(rows)
        represent = self.row_representer(timezone.get_current_timezone())
        data = [represent(row) for row in rows]
        return Response(data) if page is None else self.get_paginated_response(data)

    # A list read in two steps, where its row query costs more to build than to run: for
    # "list", `get_queryset()` gives only the page's keys (the id and the ordering's fields)
    # through the filters and the paginator; then the page's rows are read by their ids,
    # through SQL compiled once per process (a `config.db.compiled.CompiledLookup` taking a
    # list of ids: filtered by `config.db.compiled.in_ids`, its marker ID_ARRAY_MARKER).
    page_lookup: CompiledLookup | None = None

    def key_fields(self, queryset) -> list[str]:
        """The keys' fields: the ordering's and the id, no more, so that an index of the
        ordering holds them all and its scan reads no row (an index-only scan: at tier L a
        contacts page's keys read 19 buffers instead of 54, 0.03 ms instead of 0.14)."""
        ordering = self.paginator.get_ordering(self.request, queryset, self)
        fields = [name.lstrip("-") for name in ordering]
        return fields if "id" in fields else [*fields, "id"]

    def page_rows(self, keys) -> list[dict[str, Any]]:
        """The rows of the page whose keys (dicts with the "id") are `keys`, in their order."""
        ids = [key["id"] for key in keys]
        found = {row["id"]: row for row in self.page_lookup(id_array(ids))} if ids else {}
        # A row removed between the two reads is left out (no contact is deleted, but the
        # rows of another list might be).
        return [found[pk] for pk in ids if pk in found]

    def retrieve(self, request, *args, **kwargs):
        if not self.reads_rows():
            return super().retrieve(request, *args, **kwargs)
        represent = self.row_representer(timezone.get_current_timezone())
        return Response(represent(self.get_row()))

    # The detail's row by primary key with its SQL compiled once per process: a
    # `config.db.compiled.CompiledLookup` of `get_queryset()` for "retrieve", filtered by pk.
    row_lookup: CompiledLookup | None = None

    def get_row(self) -> dict[str, Any]:
        """`get_object()`, through `row_lookup` when no query parameter could filter the row."""
        if self.row_lookup is None or self.request.query_params:
            return self.get_object()
        try:
            pk = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except ValueError:
            raise Http404 from None  # as get_object_or_404 answers a malformed id
        rows = self.row_lookup(pk) if 0 < pk <= MAX_DATABASE_ID else []
        if not rows:
            raise Http404
        self.check_object_permissions(self.request, rows[0])
        return rows[0]


# --- Serializer fields -----------------------------------------------------------------------

MAX_DATABASE_ID = 2**63 - 1


class PrimaryKeysField(serializers.ListField):
    """A list of ids, resolved in one query. Ids that do not exist, or are outside the scope
    given (e.g. meetings the user may not see), are one error naming them, never a 500.

    `queryset` is a QuerySet or a function of the request returning one.
    """

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        kwargs.setdefault("max_length", 200)
        super().__init__(child=serializers.IntegerField(min_value=1), **kwargs)

    def get_queryset(self):
        if callable(self.queryset):
            return self.queryset(self.context["request"])
        return self.queryset.all()

    def to_internal_value(self, data):
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = {obj.pk: obj for obj in self.get_queryset().filter(pk__in=ids)}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError(
                _("No such item (or not visible to you): %(ids)s.") % {"ids": ", ".join(missing)}
            )
        return [found[pk] for pk in ids]

    def to_representation(self, data):
        return [obj.pk for obj in data.all()] if hasattr(data, "all") else list(data)


class PreloadedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """One id per item of a nested list, with the rows of the whole list fetched in one query.

    Under a `PreloadingListSerializer` the list fetches, before validating its items, the rows
    that the ids of all items name; each item then finds its row in hand. The messages are
    PrimaryKeyRelatedField's own (a wrong type, an unknown id). Anywhere else it is a plain
    PrimaryKeyRelatedField (one query).
    """

    preloaded: dict[Any, Any] | None = None

    def _lookup_value(self, data):
        # What `queryset.get(pk=data)` would look for: the primary key field's own conversion.
        if isinstance(data, bool):
            raise TypeError(data)
        return self.get_queryset().model._meta.pk.get_prep_value(data)

    def preload(self, values) -> None:
        keys = set()
        for value in values:
            try:
                key = self._lookup_value(value)
            except (TypeError, ValueError):
                continue  # reported by to_internal_value, item by item
            if not isinstance(key, int) or 0 < key <= MAX_DATABASE_ID:
                keys.add(key)
        found = self.get_queryset().filter(pk__in=keys) if keys else ()
        self.preloaded = {obj.pk: obj for obj in found}

    def to_internal_value(self, data):
        if self.preloaded is None:
            return super().to_internal_value(data)
        try:
            key = self._lookup_value(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return self.preloaded[key]
        except (KeyError, TypeError):
            self.fail("does_not_exist", pk_value=data)


class PreloadingListSerializer(serializers.ListSerializer):
    """A nested list (`many=True`) whose `PreloadedPrimaryKeyField`s cost one query per field
    for the whole list, not one per item: a meeting's ten follow-ups look up their assignees
    at once. Set it as the item serializer's `Meta.list_serializer_class`."""

    def to_internal_value(self, data):
        fields = [
            (name, field)
            for name, field in self.child.fields.items()
            if isinstance(field, PreloadedPrimaryKeyField) and not field.read_only
        ]
        if (
            not isinstance(data, list)
            or not fields
            or (self.max_length is not None and len(data) > self.max_length)
        ):
            return super().to_internal_value(data)  # refuses what is not a list of items
        items = [item for item in data if isinstance(item, Mapping)]
        for name, field in fields:
            field.preload(item[name] for item in items if item.get(name) is not None)
        try:
            return super().to_internal_value(data)
        finally:
            for _name, field in fields:
                field.preloaded = None


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """One id, looked up in the caller's scope: `scope(request)` returns the queryset (e.g. the
    meetings the user may see). Ids outside it read exactly like ids that do not exist."""

    default_error_messages = {
        "does_not_exist": gettext_lazy('No such item (or not visible to you): "{pk_value}".'),
    }

    def __init__(self, *, scope: Callable[[Any], Any], **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"])

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool) and not 0 < data <= MAX_DATABASE_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


# --- Filtering, ordering and pagination --------------------------------------------------------


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no); anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": gettext_lazy('Give "true" or "false".')}
    TRUE = frozenset({"true", "1", "yes"})
    FALSE = frozenset({"false", "0", "no"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise DjangoValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    # The plain BooleanFilter: the REST one's widget turns "maybe" into "no filter" first.
    field_class = StrictBooleanField


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """`?status=open&status=done` on a column of the row itself.

    Without DISTINCT: django-filter's multiple-choice filter adds it by default (for choices
    across a join), and PostgreSQL then sorts every match of a list to drop duplicates that a
    column of the row cannot make (tier L: a trustee's 14,000 open follow-ups, 170 ms).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """The base of every filter set: booleans are strict (django-filter would ignore "maybe")."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }
    # The form classes built so far, per filter set class and language (get_form_class).
    _form_classes: ClassVar[dict[tuple[type, str], type]] = {}

    def get_form_class(self):
        """The form that validates the query parameters, built once per filter set class and
        language: asking every filter for its form field (labels, choices, querysets) cost a
        few milliseconds per request, the same every time. (Each form instance still gets its
        own copy of the fields, querysets included.) A filter set with a queryset that depends
        on the request (a callable) builds its form class per request, as django-filter does."""
        if any(callable(getattr(f, "queryset", None)) for f in self.base_filters.values()):
            return super().get_form_class()
        key = (type(self), translation.get_language())
        form_class = self._form_classes.get(key)
        if form_class is None:
            form_class = self._form_classes[key] = super().get_form_class()
        return form_class


# Query parameters that are not filters but are understood by every list.
NON_FILTER_PARAMETERS = frozenset({"page", "page_size", "cursor", "ordering", "format"})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing what it would otherwise ignore: a misspelt or unknown query
    parameter is a 400, never a silently unfiltered list. (Invalid values are a 400 already.)"""

    def filter_queryset(self, request, queryset, view):
        if not set(request.query_params) - NON_FILTER_PARAMETERS:
            # No filter asked for: every filter would leave the list as it is, so the filter
            # set (a copy of every filter and form field per request) is not built at all.
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(NON_FILTER_PARAMETERS)
        if filterset_class is not None:
            for name, filter_ in filterset_class.base_filters.items():
                known.update(_parameter_names(name, filter_))
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise exceptions.ValidationError(
                {name: [_("Unknown query parameter.")] for name in unknown}
            )
        return super().filter_queryset(request, queryset, view)


def _parameter_names(name: str, filter_) -> list[str]:
    """The query parameters a filter reads: its name, or "<name>_<suffix>" for range filters."""
    suffixes = getattr(getattr(filter_.field_class, "widget", None), "suffixes", None)
    if suffixes:
        return [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
    return [name]


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=field` or `?ordering=-field`, one of the view's `ordering_fields`; anything
    else is a 400 (DRF's own filter would ignore it). The id breaks ties, so pages are stable."""

    def get_ordering(self, request, queryset, view):
        requested = request.query_params.get(self.ordering_param)
        if requested is None:
            search_ordering = getattr(view, "search_ordering", None)
            if search_ordering and request.query_params.get("search", "").strip():
                # A search lists its best matches first (the queryset's `search_rank`).
                return search_ordering
            return self.get_default_ordering(view)
        term = requested.strip()
        if term.lstrip("-") not in getattr(view, "ordering_fields", ()):
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        _("Order by one of: %(choices)s.")
                        % {"choices": ", ".join(self._choices(view))}
                    ]
                }
            )
        if term.lstrip("-") == "id":
            return (term,)
        return (term, "-id" if term.startswith("-") else "id")

    def _choices(self, view) -> list[str]:
        fields = getattr(view, "ordering_fields", ())
        return [prefix + name for name in fields for prefix in ("", "-")]

    def get_schema_operation_parameters(self, view):
        if not self._choices(view):
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(self.ordering_description),
                "schema": {"type": "string", "enum": self._choices(view)},
            }
        ]


def _strict_page_size(paginator, request) -> int:
    raw = request.query_params.get(paginator.page_size_query_param)
    if raw is None:
        return paginator.page_size
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise exceptions.ValidationError(
            {paginator.page_size_query_param: [_("Give a whole number of at least 1.")]}
        )
    return min(size, paginator.max_page_size)


class EstimatedCountPaginator(DjangoPaginator):
    """A paginator that does not count a big table row by row.

    An unfiltered list of a table PostgreSQL estimates above ESTIMATE_ABOVE rows gets the
    planner's estimate (`pg_class.reltuples`, kept by ANALYZE and autovacuum) as its `count`:
    an exact COUNT(*) reads the whole table, seconds at a million rows. Filtered lists and
    small tables are counted exactly.
    """

    ESTIMATE_ABOVE = 100_000

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None or query.where or query.distinct or query.combinator:
            return super().count
        # One query, as many as a COUNT(*): the estimate, or the exact count of a small table
        # (an uncorrelated subquery in a CASE runs only when its branch is taken).
        table = connection.ops.quote_name(query.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN reltuples > %s THEN reltuples::bigint "  # noqa: S608  # nosec B608: quoted model table name
                f"ELSE (SELECT COUNT(*) FROM {table}) END "
                "FROM pg_class WHERE oid = %s::regclass",
                [self.ESTIMATE_ABOVE, query.model._meta.db_table],
            )
            return cursor.fetchone()[0]


class PagePagination(pagination.PageNumberPagination):
    """Small lists: numbered pages, `page_size` up to a maximum. The `count` of an unfiltered
    list above 100,000 rows is PostgreSQL's estimate (EstimatedCountPaginator)."""

    django_paginator_class = EstimatedCountPaginator
    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        return _strict_page_size(self, request)


class CursorPagination(pagination.CursorPagination):
    """Long lists (meetings, contacts): cursors, so that deep pages cost as much as the first.

    The ordering is the view's (`ordering`, or `?ordering=` through StrictOrderingFilter).

    A keyset where it can be one: when every field of the ordering is a column of the row that
    is never NULL, all run the same way and the last is the primary key, the cursor holds the
    values of all of them and the next page is the rows after that one, one row comparison
    `(last_name, id) > ('Mäkelä', 42)` where the ordering's index scan starts, with no OFFSET.
    DRF's own cursor holds the first field only and steps over the rows sharing it with an
    OFFSET, whose rows PostgreSQL still builds: at tier L, 325 contacts named Alajärvi made
    page 41 cost three first pages. Other orderings (a nullable field, a field across a join,
    an annotation such as a search's rank) keep DRF's cursor.
    """

    page_size = settings.API_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request):
        return _strict_page_size(self, request)

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset = keyset_fields(queryset.model, self.get_ordering(request, queryset, view))
        self.keyset_cursor = None
        cursor = super().decode_cursor(request) if self.keyset else None
        if cursor is None or cursor.position is None:
            return super().paginate_queryset(queryset, request, view)
        queryset = queryset.filter(self.keyset_condition(cursor))
        # DRF pages the rows from there as a first page (decode_cursor hands it no position),
        # then the links back to where the cursor came from are put right.
        self.keyset_cursor = cursor
        page = super().paginate_queryset(queryset, request, view)
        if cursor.reverse:
            self.has_next, self.next_position = True, cursor.position
        else:
            self.has_previous, self.previous_position = True, cursor.position
        return page

    def decode_cursor(self, request):
        if self.keyset_cursor is not None:
            return pagination.Cursor(offset=0, reverse=self.keyset_cursor.reverse, position=None)
        return super().decode_cursor(request)

    def _get_position_from_instance(self, instance, ordering):
        if not self.keyset:
            return super()._get_position_from_instance(instance, ordering)
        values = []
        for field, _descending in self.keyset:
            value = (
                instance[field.attname]
                if isinstance(instance, dict)
                else field.value_from_object(instance)
            )
            values.append(value.isoformat() if hasattr(value, "isoformat") else value)
        return json.dumps(values, separators=(",", ":"))

    def keyset_condition(self, cursor) -> models.Q:
        """The rows after the cursor's row in the ordering (before it, for a cursor back)."""
        try:
            values = json.loads(cursor.position)
            if not isinstance(values, list) or len(values) != len(self.keyset):
                raise ValueError(values)
            values = [
                field.to_python(value)
                for (field, _), value in zip(self.keyset, values, strict=True)
            ]
        except (ValueError, TypeError, DjangoValidationError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None
        # One row comparison, where the ordering's index scan starts.
        (_first, descending) = self.keyset[0]
        operator = ">" if descending == cursor.reverse else "<"
        return models.Q(RowComparison([field for field, _ in self.keyset], values, operator))


class RowComparison(models.Expression):
    """`(a, b, …) > (x, y, …)` (or `<`): the rows after (or before) a row in the order of
    `fields`. A B-tree index over those columns starts its scan right there; the same
    condition spelled out with OR (`a > x OR (a = x AND b > y)`) is read from the first `a = x`
    and filtered row by row (tier L: 325 namesakes before the cursor's row)."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, fields: list[models.Field], values: list, operator: str):
        super().__init__()
        if operator not in ("<", ">"):
            raise ValueError(operator)
        self.operator = operator
        self.columns = [models.F(field.attname) for field in fields]
        self.values = [
            models.Value(value, output_field=field)
            for field, value in zip(fields, values, strict=True)
        ]

    def get_source_expressions(self):
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs):
        self.columns, self.values = exprs[: len(self.columns)], exprs[len(self.columns) :]

    def as_sql(self, compiler, connection):
        sides, params = [], []
        for expressions in (self.columns, self.values):
            parts = []
            for expression in expressions:
                sql, part_params = compiler.compile(expression)
                parts.append(sql)
                params.extend(part_params)
            sides.append(f"({', '.join(parts)})")
        return f"{sides[0]} {self.operator} {sides[1]}", params


def keyset_fields(model, ordering) -> list[tuple[models.Field, bool]] | None:
    """The ordering as (column, descending) pairs when it can page as a keyset
    (CursorPagination): columns of the row, never NULL, all in the same direction (one row
    comparison), the primary key last; else None."""
    fields = []
    for term in ordering:
        name = term.lstrip("-")
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not field.concrete or field.null or field.is_relation:
            return None
        fields.append((field, term.startswith("-")))
    if not fields or not fields[-1][0].primary_key:
        return None
    return fields if len({descending for _field, descending in fields}) == 1 else None

"""REST endpoints of traceability: the report, the register roll-up, timelines, briefing packs,
calendar feed addresses, imports, the duplicate finder and the personal-data duties.

The same selectors and services as the web pages; every read is scoped to the requesting user
and every contact view or export writes its access-log row. `urlpatterns` are mounted under
/api/v1/ beside the API's router.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_auth import ScopedRateThrottle
from crm import importer
from crm.duplicates import find_duplicate_contacts
from crm.gdpr import record_access, retention_review
from crm.models import AccessPurpose, Contact, ImportBatch, ImportKind, Organisation
from crm.rules import can_edit_directory, can_handle_personal_data, can_merge_contacts

from . import briefing, calendar, gdpr, reports, services, timeline, transparency
from .models import CalendarFeedToken, Goal, Topic
from .trace_forms import ReportFilterForm

OBJECT = {200: OpenApiTypes.OBJECT}


class ExportThrottleMixin:
    """Exports of personal data have their own rate per user (scope "export")."""

    throttle_scope = "export"

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _contact_ref(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {
        "id": contact.pk,
        "name": contact.full_name,
        "organisation": contact.organisation.name if contact.organisation_id else None,
    }


# --- Report ----------------------------------------------------------------------------------


class ReportView(ExportThrottleMixin, APIView):
    """The advocacy report of a period (`start`, `end`; filters `municipality`, `topic`,
    `goal`, `organisation_kind`), computed from what the user may see."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
            OpenApiParameter("municipality", OpenApiTypes.INT),
            OpenApiParameter("topic", OpenApiTypes.INT),
            OpenApiParameter("goal", OpenApiTypes.INT),
            OpenApiParameter("organisation_kind", OpenApiTypes.STR),
        ],
        responses=OBJECT,
    )
    def get(self, request):
        form = ReportFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        result = reports.build_report(user=request.user, filters=form.filters())
        record_access(
            user=request.user,
            purpose=AccessPurpose.REPORT_EXPORT,
            contacts=result.contact_ids,
            target=f"report {result.filters.describe()} api",
        )
        return Response(
            {
                "start": result.filters.start,
                "end": result.filters.end,
                "meetings": result.meeting_count,
                "by_topic": [{"topic": t, "meetings": n} for t, n in result.by_topic],
                "by_municipality": [
                    {"municipality": m, "meetings": n} for m, n in result.by_municipality
                ],
                "per_month": [
                    {
                        "month": month.strftime("%Y-%m"),
                        "municipalities": {
                            name: counts[i] for name, counts in result.per_month.items()
                        },
                    }
                    for i, month in enumerate(result.months)
                ],
                "decision_makers_met": [
                    {**_contact_ref(r.contact), "meetings": r.meetings, "last_met": r.last_met}
                    for r in result.decision_makers_met
                ],
                "decision_makers_not_met": [
                    {**_contact_ref(r.contact), "last_met": r.last_met}
                    for r in result.decision_makers_not_met
                ],
                "goal_status_changes": [
                    {
                        "goal": row.goal.pk,
                        "title": row.goal.title,
                        "changes": [{"at": c.at, "from": c.old, "to": c.new} for c in row.changes],
                    }
                    for row in result.goals_changed
                ],
                "goal_status": {value: n for value, _label, n in result.goal_status_counts},
                "follow_ups": result.follow_ups,
            }
        )


# --- Transparency register -------------------------------------------------------------------


class TransparencyView(ExportThrottleMixin, APIView):
    """The register roll-up of one half-year (`half=2026-1`; default: the last one)."""

    @extend_schema(
        parameters=[OpenApiParameter("half", OpenApiTypes.STR, description="e.g. 2026-1")],
        responses=OBJECT,
    )
    def get(self, request):
        text = request.query_params.get("half", "")
        try:
            half_year = (
                transparency.HalfYear.parse(text)
                if text
                else transparency.HalfYear.of(timezone.localdate()).previous
            )
        except ValueError as error:
            raise ValidationError({"half": [_("Give a half-year as 2026-1 or 2026-2.")]}) from error
        result = transparency.build_transparency_report(user=request.user, half_year=half_year)
        record_access(
            user=request.user,
            purpose=AccessPurpose.TRANSPARENCY_EXPORT,
            contacts=transparency.contact_ids_of(result, request.user),
            target=f"transparency register {half_year} api",
        )
        return Response(
            {
                "half_year": str(half_year),
                "disclosure_window": list(half_year.disclosure_window),
                "entries": [
                    {
                        "topic": e.topic.pk if e.topic else None,
                        "topic_name": e.topic.name if e.topic else None,
                        "subject": e.subject,
                        "government_project": e.government_project,
                        "problems": e.problems,
                        "targets": [
                            {
                                "person": r.target.person,
                                "role": r.target.role,
                                "organisation": r.target.organisation,
                                "department": r.target.department,
                                "unit": r.target.unit,
                                "contact_method": r.method,
                                "contacts": r.contacts,
                            }
                            for r in e.targets
                        ],
                    }
                    for e in result.entries
                ],
                "contacts_per_year": [
                    {"year": y.year, "contacts": y.contacts, "small_scale": y.small_scale}
                    for y in result.year_counts
                ],
                "small_scale_threshold": result.threshold,
            }
        )


# --- Timelines and briefing packs ------------------------------------------------------------

SUBJECTS = {
    "contacts": (Contact, timeline.contact_timeline, "contact"),
    "organisations": (Organisation, timeline.organisation_timeline, "organisation"),
    "topics": (Topic, timeline.topic_timeline, "topic"),
    "goals": (Goal, timeline.goal_timeline, "goal"),
}


class TimelineView(APIView):
    """One chronological record of a contact, organisation, topic or goal."""

    @extend_schema(responses=OBJECT)
    def get(self, request, kind: str, pk: int):
        model, build, argument = SUBJECTS[kind]
        subject = get_object_or_404(model, pk=pk)
        entries = build(**{argument: subject, "user": request.user})
        if kind == "contacts":
            record_access(
                user=request.user,
                purpose=AccessPurpose.API,
                contact=subject,
                target="contact history api",
            )
        return Response(
            {
                "entries": [
                    {
                        "at": e.at,
                        "kind": e.kind,
                        "title": e.title,
                        "actor": e.actor,
                        "detail": e.detail,
                        "meeting": e.meeting.pk if e.meeting else None,
                        "follow_up": e.follow_up.pk if e.follow_up else None,
                        "changes": [
                            {"field": c.label, "old": c.old, "new": c.new} for c in e.changes
                        ],
                    }
                    for e in entries
                ]
            }
        )


class BriefingView(APIView):
    """The briefing pack of a contact or an organisation."""

    @extend_schema(responses=OBJECT)
    def get(self, request, kind: str, pk: int):
        if kind == "contacts":
            subject = get_object_or_404(Contact, pk=pk)
            pack = briefing.contact_briefing(contact=subject, user=request.user)
        else:
            subject = get_object_or_404(Organisation, pk=pk)
            pack = briefing.organisation_briefing(organisation=subject, user=request.user)
        record_access(
            user=request.user,
            purpose=AccessPurpose.BRIEFING,
            contacts=pack.contact_ids,
            target=f"briefing {kind} {pk} api",
        )
        return Response(
            {
                "contact": _contact_ref(pack.contact),
                "organisation": (
                    {"id": pack.organisation.pk, "name": pack.organisation.name}
                    if pack.organisation
                    else None
                ),
                "people": [_contact_ref(c) for c in pack.people],
                "positions": [
                    {"title": p.title, "start_date": p.start_date, "end_date": p.end_date}
                    for p in pack.positions
                ],
                "networks": [{"network": m.network.name, "role": m.role} for m in pack.memberships],
                "meetings": [
                    {
                        "id": m.pk,
                        "occurred_at": m.occurred_at,
                        "title": m.title,
                        "kind": m.kind,
                        "municipality": m.municipality.name if m.municipality_id else None,
                        "notes": m.notes,
                        "outcomes": m.outcomes,
                        "contacts": [c.pk for c in m.contacts.all()],
                    }
                    for m in pack.meetings
                ],
                "open_follow_ups": [
                    {"id": f.pk, "description": f.description, "due_date": f.due_date}
                    for f in pack.open_follow_ups
                ],
                "goals": [
                    {
                        "id": g.pk,
                        "title": g.title,
                        "status": g.status,
                        "endorsements": [
                            {"municipality": e.municipality.name, "state": e.state}
                            for e in g.endorsements.all()
                        ],
                    }
                    for g in pack.goals
                ],
            }
        )


# --- Calendar feed addresses -----------------------------------------------------------------


class CalendarFeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarFeedToken
        fields = ["id", "label", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "created_at", "last_used_at", "revoked_at"]


class CalendarFeedListView(APIView):
    """The user's calendar subscription addresses. POST makes one: its `url` is in that
    response only."""

    parser_classes = [JSONParser]

    @extend_schema(responses=OBJECT)
    def get(self, request):
        feeds = CalendarFeedToken.objects.filter(user=request.user, revoked_at__isnull=True)
        return Response({"results": CalendarFeedSerializer(feeds, many=True).data})

    @extend_schema(request=CalendarFeedSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        serializer = CalendarFeedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feed, secret = calendar.create_feed_token(
            user=request.user, label=serializer.validated_data.get("label", "")
        )
        url = request.build_absolute_uri(reverse("trace:calendar_feed", args=[secret]))
        return Response(
            {**CalendarFeedSerializer(feed).data, "url": url}, status=status.HTTP_201_CREATED
        )


class CalendarFeedRevokeView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        feed = get_object_or_404(CalendarFeedToken, pk=pk, user=request.user)
        calendar.revoke_feed_token(feed=feed, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Import ----------------------------------------------------------------------------------


def _plan_data(batch: ImportBatch, plan: importer.ImportPlan) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "kind": batch.kind,
        "state": batch.state,
        "digest": plan.digest(),
        "counts": plan.counts,
        "ignored_columns": plan.ignored_columns,
        "new_organisations": plan.new_organisations,
        "rows": [
            {
                "row": r.row,
                "action": r.action,
                "reasons": r.reasons,
                "target": r.target_id,
                "changes": r.changes,
            }
            for r in plan.rows
        ],
    }


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField()


class ImportListView(APIView):
    """POST a CSV or XLSX `file` with its `kind`: the preview. Nothing is written until the
    preview is applied with its `digest`."""

    parser_classes = [MultiPartParser]

    @extend_schema(request=ImportUploadSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        _require(can_edit_directory(request.user))
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            batch, plan = importer.preview_import(
                by=request.user,
                data=upload.read(),
                file_name=upload.name,
                kind=serializer.validated_data["kind"],
            )
        except importer.ImportFileError as error:
            raise ValidationError({"file": [str(error)]}) from error
        return Response(_plan_data(batch, plan), status=status.HTTP_201_CREATED)


class ImportDetailView(APIView):
    @extend_schema(responses=OBJECT)
    def get(self, request, pk: int):
        batch = get_object_or_404(ImportBatch, pk=pk, created_by=request.user)
        return Response(_plan_data(batch, importer.batch_plan(batch)))


class ImportApplyView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=inline_serializer("ImportApply", {"digest": serializers.CharField()}),
        responses=OBJECT,
    )
    def post(self, request, pk: int):
        batch = get_object_or_404(ImportBatch, pk=pk, created_by=request.user)
        digest = str(request.data.get("digest", ""))
        if not digest:
            raise ValidationError({"digest": [_("Send the digest of the preview you accept.")]})
        try:
            plan = importer.apply_import(batch=batch, by=request.user, expected_digest=digest)
        except importer.StalePreviewError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        batch.refresh_from_db()
        return Response(_plan_data(batch, plan))


class ImportDiscardView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        batch = get_object_or_404(ImportBatch, pk=pk, created_by=request.user)
        importer.discard_import(batch=batch, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Duplicates ------------------------------------------------------------------------------


class MergeSerializer(serializers.Serializer):
    survivor = serializers.IntegerField()
    duplicates = serializers.ListField(child=serializers.IntegerField(), min_length=1)


class DuplicatesView(APIView):
    """GET: groups of contacts that look like one person. POST {survivor, duplicates}: merge."""

    parser_classes = [JSONParser]

    @extend_schema(responses=OBJECT)
    def get(self, request):
        _require(can_merge_contacts(request.user))
        groups = find_duplicate_contacts()
        return Response(
            {
                "groups": [
                    {"reasons": g.reasons, "contacts": [_contact_ref(c) for c in g.contacts]}
                    for g in groups
                ]
            }
        )

    @extend_schema(request=MergeSerializer, responses=OBJECT)
    def post(self, request):
        _require(can_merge_contacts(request.user))
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        survivor_id = serializer.validated_data["survivor"]
        duplicate_ids = set(serializer.validated_data["duplicates"]) - {survivor_id}
        contacts = Contact.objects.in_bulk([survivor_id, *duplicate_ids])
        if len(contacts) != len(duplicate_ids) + 1 or not duplicate_ids:
            raise ValidationError({"duplicates": [_("Give existing contacts to merge.")]})
        survivor = contacts[survivor_id]
        with transaction.atomic():
            for pk in sorted(duplicate_ids):
                survivor = services.merge_contacts(
                    survivor=survivor, duplicate=contacts[pk], by=request.user
                )
        return Response(_contact_ref(survivor))


# --- Personal data ---------------------------------------------------------------------------


class PersonalDataView(ExportThrottleMixin, APIView):
    """Everything stored about one contact that the user may see (JSON). Logged."""

    @extend_schema(responses=OBJECT)
    def get(self, request, pk: int):
        _require(can_handle_personal_data(request.user))
        contact = get_object_or_404(Contact, pk=pk)
        return Response(gdpr.contact_export(contact=contact, by=request.user))


class AnonymiseView(APIView):
    """Remove the person's identity everywhere; their meetings stay (cannot be undone)."""

    @extend_schema(request=None, responses=OBJECT)
    def post(self, request, pk: int):
        contact = get_object_or_404(Contact, pk=pk)
        contact = gdpr.anonymise_contact_everywhere(contact=contact, by=request.user)
        return Response({"id": contact.pk, "anonymised_at": contact.anonymised_at})


class RetentionView(APIView):
    """Contacts nobody has met in `years` years (default from the settings)."""

    @extend_schema(
        parameters=[OpenApiParameter("years", OpenApiTypes.INT, description="1–30")],
        responses=OBJECT,
    )
    def get(self, request):
        _require(can_handle_personal_data(request.user))
        years = request.query_params.get("years")
        if years is not None and (
            not re.fullmatch(r"[0-9]{1,2}", years) or not 1 <= int(years) <= 30
        ):
            raise ValidationError({"years": [_("Give a number of years from 1 to 30.")]})
        contacts = retention_review(years=int(years) if years else None)[:1000]
        return Response(
            {"contacts": [{**_contact_ref(c), "created_at": c.created_at} for c in contacts]}
        )


urlpatterns = [
    path("reports/advocacy/", ReportView.as_view(), name="trace-report"),
    path("transparency/", TransparencyView.as_view(), name="trace-transparency"),
    *[
        path(
            f"{kind}/<int:pk>/timeline/",
            TimelineView.as_view(),
            {"kind": kind},
            name=f"trace-{kind}-timeline",
        )
        for kind in SUBJECTS
    ],
    path(
        "contacts/<int:pk>/briefing/",
        BriefingView.as_view(),
        {"kind": "contacts"},
        name="trace-contact-briefing",
    ),
    path(
        "organisations/<int:pk>/briefing/",
        BriefingView.as_view(),
        {"kind": "organisations"},
        name="trace-organisation-briefing",
    ),
    path("calendar-feeds/", CalendarFeedListView.as_view(), name="trace-calendar-feeds"),
    path(
        "calendar-feeds/<int:pk>/revoke/",
        CalendarFeedRevokeView.as_view(),
        name="trace-calendar-feed-revoke",
    ),
    path("imports/", ImportListView.as_view(), name="trace-imports"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="trace-import"),
    path("imports/<int:pk>/apply/", ImportApplyView.as_view(), name="trace-import-apply"),
    path("imports/<int:pk>/discard/", ImportDiscardView.as_view(), name="trace-import-discard"),
    path("duplicates/", DuplicatesView.as_view(), name="trace-duplicates"),
    path(
        "contacts/<int:pk>/personal-data/", PersonalDataView.as_view(), name="trace-personal-data"
    ),
    path("contacts/<int:pk>/anonymise/", AnonymiseView.as_view(), name="trace-anonymise"),
    path("personal-data/retention/", RetentionView.as_view(), name="trace-retention"),
]

"""Traceability pages: the advocacy report, timelines, the transparency register roll-up,
briefing packs, calendars, the import, the duplicate finder and the personal-data duties.

Thin: each view parses input, calls one selector or service, writes the access-log row its
duty asks for, and renders. The rules live in the modules these call.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.ratelimit import Rate, hit
from config.security import security_event, too_many_requests
from crm import importer
from crm.duplicates import find_duplicate_contacts
from crm.gdpr import access_log_about, record_access, retention_review, set_lawful_basis
from crm.models import (
    AccessPurpose,
    Contact,
    ImportBatch,
    ImportState,
    LawfulBasis,
    Organisation,
)
from crm.rules import (
    can_anonymise_contacts,
    can_edit_directory,
    can_handle_personal_data,
    can_merge_contacts,
)

from . import briefing, calendar, charts, gdpr, reports, services, timeline, transparency
from .models import CalendarFeedToken, Goal, Meeting, Topic
from .trace_forms import HalfYearForm, ImportUploadForm, ReportFilterForm, RetentionForm

PREVIEW_ROWS_SHOWN = 500


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _export_limited(request: HttpRequest) -> HttpResponse | None:
    """A 429 answer when the user has downloaded too much lately (config/ratelimit.py)."""
    retry_after = hit("export", str(request.user.pk), Rate.parse(settings.EXPORT_RATE_LIMIT))
    if retry_after is None:
        return None
    return too_many_requests(request, retry_after=retry_after, reason="rate_limited")


def _exported(request: HttpRequest, kind: str, contacts: int) -> None:
    security_event("export", request, kind=kind, contacts=contacts)


# --- The advocacy report ---------------------------------------------------------------------


def _report_form(request: HttpRequest) -> ReportFilterForm:
    data = request.GET.copy() if "start" in request.GET else None
    if data is None:
        period = ReportFilterForm.initial_period()
        data = {k: v.isoformat() for k, v in period.items()}
    return ReportFilterForm(data)


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form = _report_form(request)
    context = {"form": form}
    if form.is_valid():
        result = reports.build_report(user=request.user, filters=form.filters())
        query = request.GET.urlencode() or "&".join(f"{k}={v}" for k, v in form.data.items() if v)
        context.update(
            report=result,
            query=query,
            month_chart=charts.stacked_bars(
                title=_("Meetings per month by municipality"),
                labels=[f"{m:%-m/%Y}" for m in result.months],
                series=result.per_month,
            ),
            goal_chart=charts.horizontal_bars(
                title=_("Goals by status at the end of the period"),
                items=[(label, n) for _v, label, n in result.goal_status_counts],
            ),
        )
    return render(request, "trace/report.html", context)


@login_required
@require_GET
def report_export(request: HttpRequest, fmt: str) -> HttpResponse:
    form = _report_form(request)
    if not form.is_valid():
        raise Http404
    limited = _export_limited(request)
    if limited:
        return limited
    filters = form.filters()
    result = reports.build_report(user=request.user, filters=filters)
    record_access(
        user=request.user,
        purpose=AccessPurpose.REPORT_EXPORT,
        contacts=result.contact_ids,
        target=f"report {filters.describe()} {fmt}",
    )
    _exported(request, "report", len(result.contact_ids))
    name = f"kuusikko-report-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    if fmt == "xlsx":
        return _download(
            reports.report_xlsx(result),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{name}.xlsx",
        )
    return _download(reports.report_csv(result), "text/csv; charset=utf-8", f"{name}.csv")


# --- Transparency register -------------------------------------------------------------------


@login_required
@require_GET
def transparency_page(request: HttpRequest) -> HttpResponse:
    form = HalfYearForm(request.GET or None)
    half_year = form.half_year()
    result = transparency.build_transparency_report(user=request.user, half_year=half_year)
    return render(
        request,
        "trace/transparency.html",
        {"form": form, "report": result, "half": str(half_year)},
    )


@login_required
@require_GET
def transparency_export(request: HttpRequest) -> HttpResponse:
    limited = _export_limited(request)
    if limited:
        return limited
    form = HalfYearForm(request.GET or None)
    half_year = form.half_year()
    result = transparency.build_transparency_report(user=request.user, half_year=half_year)
    named = transparency.contact_ids_of(result, request.user)
    record_access(
        user=request.user,
        purpose=AccessPurpose.TRANSPARENCY_EXPORT,
        contacts=named,
        target=f"transparency register {half_year}",
    )
    _exported(request, "transparency", len(named))
    return _download(
        transparency.transparency_csv(result),
        "text/csv; charset=utf-8",
        f"kuusikko-transparency-{half_year}.csv",
    )


# --- Timelines and briefing packs ------------------------------------------------------------


def _timeline_page(request, subject, entries, back_url):
    return render(
        request,
        "trace/timeline.html",
        {"subject": subject, "entries": entries, "back_url": back_url},
    )


@login_required
@require_GET
def contact_history(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    entries = timeline.contact_timeline(contact=contact, user=request.user)
    record_access(
        user=request.user, purpose=AccessPurpose.VIEW, contact=contact, target="contact history"
    )
    return _timeline_page(request, contact, entries, f"/contacts/{contact.pk}/")


@login_required
@require_GET
def organisation_history(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    entries = timeline.organisation_timeline(organisation=organisation, user=request.user)
    return _timeline_page(request, organisation, entries, f"/organisations/{organisation.pk}/")


@login_required
@require_GET
def topic_history(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(Topic, pk=pk)
    entries = timeline.topic_timeline(topic=topic, user=request.user)
    return _timeline_page(request, topic, entries, f"/topics/{topic.pk}/")


@login_required
@require_GET
def goal_history(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    entries = timeline.goal_timeline(goal=goal, user=request.user)
    return _timeline_page(request, goal, entries, f"/goals/{goal.pk}/")


@login_required
@require_GET
def contact_briefing(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    pack = briefing.contact_briefing(contact=contact, user=request.user)
    record_access(
        user=request.user,
        purpose=AccessPurpose.BRIEFING,
        contacts=pack.contact_ids,
        target=f"briefing contact {contact.pk}",
    )
    return render(request, "trace/briefing.html", {"pack": pack, "subject": pack.contact})


@login_required
@require_GET
def organisation_briefing(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    pack = briefing.organisation_briefing(organisation=organisation, user=request.user)
    record_access(
        user=request.user,
        purpose=AccessPurpose.BRIEFING,
        contacts=pack.contact_ids,
        target=f"briefing organisation {organisation.pk}",
    )
    return render(request, "trace/briefing.html", {"pack": pack, "subject": organisation})


# --- Calendars -------------------------------------------------------------------------------


def _feed_url(request: HttpRequest, secret: str) -> str:
    return request.build_absolute_uri(reverse("trace:calendar_feed", args=[secret]))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    new_url = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            feed = get_object_or_404(
                CalendarFeedToken, pk=request.POST.get("revoke"), user=request.user
            )
            calendar.revoke_feed_token(feed=feed, by=request.user)
            messages.success(request, _("The calendar address no longer works."))
            return redirect("trace:calendar_settings")
        label = request.POST.get("label", "").strip()[:100]
        _feed, secret = calendar.create_feed_token(user=request.user, label=label)
        # Shown once, in this response only: the database keeps just a digest of it.
        new_url = _feed_url(request, secret)
    feeds = CalendarFeedToken.objects.filter(user=request.user, revoked_at__isnull=True)
    return render(request, "trace/calendar.html", {"feeds": feeds, "new_url": new_url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscription itself: no session, the secret in the URL is the key."""
    user, new_use = calendar.use_feed_token(token)
    if user is None:
        raise Http404
    if new_use:
        # One access-log row per hour of use, not one per poll of the calendar client.
        record_access(user=user, purpose=AccessPurpose.CALENDAR_EXPORT, target="calendar feed")
    content = calendar.user_feed(user=user, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.visible_to(request.user), pk=pk)
    limited = _export_limited(request)
    if limited:
        return limited
    _exported(request, "meeting_ics", 0)
    record_access(
        user=request.user,
        purpose=AccessPurpose.CALENDAR_EXPORT,
        target=f"meeting {meeting.pk} ics",
    )
    content = calendar.meetings_ics([meeting], base_url=request.build_absolute_uri("/"))
    return _download(content, "text/calendar; charset=utf-8", f"meeting-{meeting.pk}.ics")


# --- Import ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require(can_edit_directory(request.user))
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch, _plan = importer.preview_import(
                by=request.user,
                data=upload.read(),
                file_name=upload.name,
                kind=form.cleaned_data["kind"],
            )
        except importer.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("trace:import_preview", pk=batch.pk)
    return render(request, "trace/import_upload.html", {"form": form})


def _own_batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch, pk=pk, created_by=request.user)


@login_required
@require_GET
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_batch(request, pk)
    if batch.state != ImportState.PREVIEWED:
        return render(request, "trace/import_done.html", {"batch": batch})
    plan = importer.batch_plan(batch)
    groups = []
    for action, label in (
        (importer.ERROR, _("Errors (not imported)")),
        (importer.CREATE, _("To be created")),
        (importer.UPDATE, _("To be updated")),
        (importer.SKIP, _("Skipped")),
    ):
        rows = [r for r in plan.rows if r.action == action]
        groups.append(
            {
                "action": action,
                "label": label,
                "rows": rows[:PREVIEW_ROWS_SHOWN],
                "hidden": max(len(rows) - PREVIEW_ROWS_SHOWN, 0),
                "count": len(rows),
            }
        )
    return render(
        request,
        "trace/import_preview.html",
        {
            "batch": batch,
            "plan": plan,
            "groups": groups,
            "digest": plan.digest(),
            "changed": plan.digest() != batch.plan_digest,
        },
    )


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _own_batch(request, pk)
    try:
        plan = importer.apply_import(
            batch=batch, by=request.user, expected_digest=request.POST.get("digest", "")
        )
    except importer.StalePreviewError as error:
        messages.warning(request, str(error))
        return redirect("trace:import_preview", pk=batch.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("trace:import_preview", pk=batch.pk)
    messages.success(
        request,
        _("Imported: %(create)d created, %(update)d updated, %(skip)d skipped, %(error)d errors.")
        % plan.counts,
    )
    return redirect("trace:import_preview", pk=batch.pk)


@login_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    importer.discard_import(batch=_own_batch(request, pk), by=request.user)
    messages.info(request, _("The import was discarded; nothing was written."))
    return redirect("trace:import_upload")


# --- Duplicate finder ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def duplicates(request: HttpRequest) -> HttpResponse:
    _require(can_merge_contacts(request.user))
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("contact") if i.isdecimal()]
        survivor_id = request.POST.get("survivor", "")
        if not survivor_id.isdecimal() or int(survivor_id) not in ids or len(ids) < 2:
            messages.error(request, _("Choose the contact to keep."))
            return redirect("trace:duplicates")
        contacts = Contact.objects.in_bulk(ids)
        survivor = contacts.get(int(survivor_id))
        if survivor is None or len(contacts) != len(ids):
            messages.error(request, _("A contact no longer exists; look again."))
            return redirect("trace:duplicates")
        with transaction.atomic():
            for pk, duplicate in contacts.items():
                if pk != survivor.pk:
                    survivor = services.merge_contacts(
                        survivor=survivor, duplicate=duplicate, by=request.user
                    )
        messages.success(
            request, _("Merged %(n)d contacts into %(name)s.") % {"n": len(ids), "name": survivor}
        )
        return redirect("trace:duplicates")
    groups = find_duplicate_contacts()
    return render(request, "trace/duplicates.html", {"groups": groups})


# --- Personal data ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def personal_data(request: HttpRequest, pk: int) -> HttpResponse:
    _require(can_handle_personal_data(request.user))
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=pk)
    if request.method == "POST":
        basis = request.POST.get("lawful_basis", "")
        if basis not in LawfulBasis.values:
            messages.error(request, _("Choose a lawful basis."))
        else:
            set_lawful_basis(contact=contact, lawful_basis=basis, by=request.user)
            messages.success(request, _("The lawful basis was recorded."))
        return redirect("trace:personal_data", pk=contact.pk)
    record_access(
        user=request.user, purpose=AccessPurpose.VIEW, contact=contact, target="personal data"
    )
    log = access_log_about(contact.pk)[:100]
    return render(
        request,
        "trace/personal_data.html",
        {
            "contact": contact,
            "access_log": log,
            "lawful_bases": LawfulBasis.choices,
            "can_anonymise": can_anonymise_contacts(request.user),
        },
    )


@login_required
@require_GET
def personal_data_export(request: HttpRequest, pk: int) -> HttpResponse:
    _require(can_handle_personal_data(request.user))
    contact = get_object_or_404(Contact, pk=pk)
    limited = _export_limited(request)
    if limited:
        return limited
    data = gdpr.contact_export(contact=contact, by=request.user)  # writes the access-log row
    _exported(request, "personal_data", 1)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return _download(content, "application/json", f"contact-{contact.pk}-personal-data.json")


@login_required
@require_POST
def personal_data_anonymise(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the anonymisation."))
        return redirect("trace:personal_data", pk=contact.pk)
    gdpr.anonymise_contact_everywhere(contact=contact, by=request.user)
    # No name in the message: it would be stored in the session until shown.
    messages.success(request, _("The contact was anonymised. Their meetings were kept."))
    return redirect("trace:personal_data", pk=contact.pk)


@login_required
@require_GET
def retention(request: HttpRequest) -> HttpResponse:
    _require(can_handle_personal_data(request.user))
    form = RetentionForm(request.GET or {"years": settings.GDPR_RETENTION_YEARS})
    years = form.cleaned_data["years"] if form.is_valid() else settings.GDPR_RETENTION_YEARS
    contacts = list(retention_review(years=years)[:1000])
    return render(
        request, "trace/retention.html", {"form": form, "contacts": contacts, "years": years}
    )

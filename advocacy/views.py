"""Web pages of advocacy, and directory pages that show meetings (crm never imports advocacy).

Thin views: forms parse, services write, queryset methods read. Every meeting or follow-up
queryset starts from `visible_to(request.user)`.
"""

from __future__ import annotations

import datetime

import pghistory.models
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import rules as crm_rules
from crm.forms import MergeContactForm
from crm.gdpr import record_access
from crm.models import AccessPurpose, Contact, Municipality, Network, Organisation, User
from crm.ranked_search import clean_query
from crm.views import LOOKUP_SIZE, _lookup_response, add_service_errors, paginate

from . import rules, services
from .forms import (
    EndorsementForm,
    FollowUpAddForm,
    FollowUpCompleteForm,
    FollowUpFilterForm,
    FollowUpFormSet,
    FollowUpUpdateForm,
    GoalForm,
    GoalProgressForm,
    MeetingEditForm,
    MeetingForm,
    NewContactFormSet,
    SearchForm,
    TopicForm,
    default_due_date,
)
from .models import (
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    Meeting,
    Notification,
    Topic,
)

# Decision-makers not met in this many days are shown to the coordinator.
STALE_AFTER_DAYS = 90
DASHBOARD_ROWS = 8
SEARCH_ROWS = 10
MEETING_DRAFT_KEY = "meeting-new"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request: HttpRequest, default: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default


def _follow_ups_prefetch() -> Prefetch:
    # Follow-ups of a visible meeting are visible: no second scoping needed.
    return Prefetch("follow_ups", queryset=FollowUp.objects.select_related("assignee"))


# --- Dashboard -------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    meetings = Meeting.objects.visible_to(user).for_summary()
    context = {
        "today": today,
        "my_follow_ups": FollowUp.objects.visible_to(user)
        .open()
        .filter(assignee=user)
        .for_list()[:20],
        "my_meetings": meetings.involving(user)[:DASHBOARD_ROWS],
        "colleague_meetings": meetings.exclude(author=user)[:DASHBOARD_ROWS],
        "my_goals": Goal.objects.open().filter(owner=user).for_list(user),
        "notifications": Notification.objects.for_user(user).unread()[:5],
        "can_log": rules.can_log_meetings(user),
    }
    if user.is_coordinator:
        context["all_goals"] = (
            Goal.objects.open()
            .for_list(user)
            .order_by(F("target_date").asc(nulls_last=True), "title")[:20]
        )
        context["stale_after_days"] = STALE_AFTER_DAYS
        # "Nobody has met" counts every meeting (last_interaction_at); the date shown is of the
        # latest meeting this user may see, so a restricted meeting's date never shows.
        last_visible = (
            Meeting.objects.visible_to(user)
            .filter(contact_links__contact_id=OuterRef("pk"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        context["stale_contacts"] = (
            Contact.objects.active()
            .decision_makers()
            .not_met_since(timezone.now() - datetime.timedelta(days=STALE_AFTER_DAYS))
            .select_related("organisation")
            .annotate(last_met_visible=Subquery(last_visible))
            .order_by(F("last_interaction_at").asc(nulls_first=True), "last_name")[:10]
        )
    return render(request, "advocacy/dashboard.html", context)


# --- Meetings --------------------------------------------------------------------------------


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.can_log_meetings(user):
        raise PermissionDenied
    initial = {}
    contact_id = request.GET.get("contact", "")
    if contact_id.isdecimal():
        initial["contacts"] = Contact.objects.active().filter(pk=contact_id)
    form = MeetingForm(request.POST or None, initial=initial)
    new_contacts = NewContactFormSet(request.POST or None, prefix="new_contacts")
    follow_ups = FollowUpFormSet(
        request.POST or None,
        prefix="follow_ups",
        form_kwargs={"initial": {"assignee": user.pk, "due_date": default_due_date()}},
    )
    if request.method == "POST" and form.is_valid() and new_contacts.is_valid():
        if follow_ups.is_valid():
            try:
                meeting = services.log_meeting(
                    author=user,
                    **form.cleaned_data,
                    new_contacts=[
                        services.NewContact(**row.cleaned_data)
                        for row in new_contacts
                        if row.has_changed()
                    ],
                    follow_ups=[
                        services.NewFollowUp(**row.cleaned_data)
                        for row in follow_ups
                        if row.has_changed()
                    ],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Meeting logged."), extra_tags=f"clear-draft:{MEETING_DRAFT_KEY}"
                )
                return redirect("advocacy:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "advocacy/meeting_form.html",
        {
            "form": form,
            "new_contacts": new_contacts,
            "follow_ups": follow_ups,
            "draft_key": MEETING_DRAFT_KEY,
            "selected_contacts": form.selected("contacts"),
            "selected_users": form.selected("our_participants"),
            "selected_topics_goals": [
                {"pk": t.pk, "label": t.name, "field": "topics"} for t in form.selected("topics")
            ]
            + [{"pk": g.pk, "label": g.title, "field": "goals"} for g in form.selected("goals")],
        },
    )


def _visible_meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.visible_to(request.user), pk=pk)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.visible_to(request.user).for_detail(), pk=pk)
    return render(
        request,
        "advocacy/meeting_detail.html",
        {
            "meeting": meeting,
            "can_edit": rules.can_edit_meeting(request.user, meeting),
            "can_add_follow_up": rules.can_create_follow_ups(request.user),
            "follow_up_form": FollowUpAddForm(initial={"assignee": request.user}),
        },
    )


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    if not rules.can_edit_meeting(request.user, meeting):
        raise PermissionDenied
    form = MeetingEditForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("advocacy:meeting_detail", pk=meeting.pk)
    return render(request, "advocacy/meeting_edit.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
def meeting_follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    form = FollowUpAddForm(request.POST)
    if form.is_valid():
        try:
            services.add_follow_up(by=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Follow-up added."))
            return redirect("advocacy:meeting_detail", pk=meeting.pk)
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)
    return redirect("advocacy:meeting_detail", pk=meeting.pk)


@login_required
def topic_goal_lookup(request: HttpRequest) -> HttpResponse:
    """Type-ahead results for picking topics and goals in one list (htmx fragment)."""
    query = clean_query(request.GET.get("q"))
    items = []
    if query:
        items += [
            {"value": t.pk, "label": t.name, "detail": _("topic"), "field": "topics"}
            for t in Topic.objects.search(query)[: LOOKUP_SIZE // 2]
        ]
        items += [
            {"value": g.pk, "label": g.title, "detail": _("goal"), "field": "goals"}
            for g in Goal.objects.search(query).filter(status__in=["proposed", "active"])[
                : LOOKUP_SIZE // 2
            ]
        ]
    return _lookup_response(request, items, query)


# --- Contacts, organisations, networks with their meetings -----------------------------------


HISTORY_ROWS = 20


def _history(obj) -> list[dict]:
    """The latest changes of a tracked row: when, who, and which fields changed."""
    events = list(
        pghistory.models.MiddlewareEvents.objects.tracks(obj).order_by(
            "-pgh_created_at", "-pgh_id"
        )[:HISTORY_ROWS]
    )
    user_ids = {
        (e.pgh_context or {}).get("user") for e in events if (e.pgh_context or {}).get("user")
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    model = type(obj)
    rows = []
    for event in events:
        diff = event.pgh_diff or {}
        fields = []
        for name in diff:
            try:
                fields.append(str(model._meta.get_field(name).verbose_name))
            except Exception:  # noqa: BLE001, S112 - a field since removed from the model
                continue
        rows.append(
            {
                "at": event.pgh_created_at,
                "label": event.pgh_label,
                "user": users.get((event.pgh_context or {}).get("user")),
                "fields": fields,
            }
        )
    return rows


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = get_object_or_404(
        Contact.objects.for_detail(),
        pk=pk,
    )
    meetings = (
        Meeting.objects.visible_to(user)
        .with_contact(contact)
        .for_timeline()
        .prefetch_related(_follow_ups_prefetch())
    )
    open_follow_ups = (
        FollowUp.objects.visible_to(user)
        .open()
        .filter(meeting__in=Meeting.objects.visible_to(user).with_contact(contact))
        .for_list()
    )
    # Every view of a person's page is logged (crm.gdpr; information management act).
    record_access(user=user, purpose=AccessPurpose.VIEW, contact=contact, target="contact page")
    return render(
        request,
        "advocacy/contact_detail.html",
        {
            "contact": contact,
            "page": paginate(request, meetings, size=20),
            "open_follow_ups": open_follow_ups,
            "history": _history(contact),
            "can_edit": crm_rules.can_edit_directory(user) and not contact.is_anonymised,
            "can_merge": crm_rules.can_merge_contacts(user) and not contact.is_anonymised,
            "can_log": rules.can_log_meetings(user),
        },
    )


@login_required
def contact_merge(request: HttpRequest, pk: int) -> HttpResponse:
    if not crm_rules.can_merge_contacts(request.user):
        raise PermissionDenied
    survivor = get_object_or_404(Contact.objects.filter(anonymised_at__isnull=True), pk=pk)
    form = MergeContactForm(request.POST or None, survivor=survivor)
    if request.method == "POST" and form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        try:
            services.merge_contacts(survivor=survivor, duplicate=duplicate, by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(duplicate)s was merged into %(survivor)s.")
                % {"duplicate": duplicate, "survivor": survivor},
            )
            return redirect("advocacy:contact_detail", pk=survivor.pk)
    duplicate = form.cleaned_data.get("duplicate") if form.is_bound and form.is_valid() else None
    if form.is_bound and not duplicate:
        raw = request.POST.get("duplicate", "")
        duplicate = Contact.objects.filter(pk=raw).first() if raw.isdecimal() else None
    return render(
        request,
        "advocacy/contact_merge.html",
        {
            "contact": survivor,
            "form": form,
            "selected_duplicates": [duplicate] if duplicate else [],
        },
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation.objects.for_list(), pk=pk)
    meetings = Meeting.objects.visible_to(request.user).filter(organisations=organisation)
    return render(
        request,
        "advocacy/organisation_detail.html",
        {
            "organisation": organisation,
            "contacts": organisation.contacts.active().order_by("last_name", "first_name"),
            "children": organisation.children.all(),
            "memberships": organisation.memberships.select_related("network"),
            "page": paginate(request, meetings.for_summary().order_by("-occurred_at", "-id"), 20),
            "can_edit": crm_rules.can_edit_directory(request.user),
        },
    )


@login_required
def network_detail(request: HttpRequest, pk: int) -> HttpResponse:
    network = get_object_or_404(Network.objects.select_related("owner"), pk=pk)
    meetings = (
        Meeting.objects.visible_to(request.user)
        .related_to_network(network)
        .for_summary()
        .order_by("-occurred_at", "-id")
    )
    return render(
        request,
        "advocacy/network_detail.html",
        {
            "network": network,
            "memberships": network.memberships.select_related(
                "contact__organisation", "organisation"
            ),
            "page": paginate(request, meetings, 20),
            "can_edit": crm_rules.can_edit_directory(request.user),
        },
    )


# --- Topics and goals ------------------------------------------------------------------------


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = Topic.objects.for_list(request.user).order_by("-priority", "name", "id")
    return render(
        request,
        "advocacy/topic_list.html",
        {
            "page": paginate(request, topics),
            "can_edit": rules.can_edit_topics_and_goals(request.user),
        },
    )


@login_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_object_or_404(
        Topic.objects.select_related("owner").prefetch_related("municipalities", "tags"), pk=pk
    )
    meetings = (
        Meeting.objects.visible_to(request.user)
        .filter(topics=topic)
        .for_summary()
        .order_by("-occurred_at", "-id")
    )
    return render(
        request,
        "advocacy/topic_detail.html",
        {
            "topic": topic,
            "goals": topic.goals.select_related("owner"),
            "page": paginate(request, meetings, 20),
            "can_edit": rules.can_edit_topics_and_goals(request.user),
        },
    )


def _require_topic_editor(user: User) -> None:
    if not rules.can_edit_topics_and_goals(user):
        raise PermissionDenied


@login_required
def topic_create(request: HttpRequest) -> HttpResponse:
    _require_topic_editor(request.user)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.create_topic(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Topic saved."))
            return redirect("advocacy:topic_detail", pk=topic.pk)
    return render(request, "advocacy/topic_form.html", {"form": form, "title": _("New topic")})


@login_required
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_topic_editor(request.user)
    topic = get_object_or_404(Topic, pk=pk)
    form = TopicForm(request.POST or None, instance=topic)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_topic(topic=topic, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Topic saved."))
            return redirect("advocacy:topic_detail", pk=topic.pk)
    return render(
        request,
        "advocacy/topic_form.html",
        {"form": form, "topic": topic, "title": _("Edit topic")},
    )


def _endorsing_municipalities(user: User):
    """The municipalities whose position on a goal `user` may record."""
    municipalities = Municipality.objects.filter(is_joint_organisation=False)
    if rules.can_edit_topics_and_goals(user):
        return municipalities
    return municipalities.filter(pk=user.municipality_id) if user.municipality_id else []


@login_required
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    goal = get_object_or_404(Goal.objects.for_detail(user), pk=pk)
    endorsements = {e.municipality_id: e for e in GoalEndorsement.objects.filter(goal=goal)}
    municipalities = Municipality.objects.filter(is_joint_organisation=False)
    endorsing = list(_endorsing_municipalities(user))
    meetings = (
        Meeting.objects.visible_to(user).filter(goals=goal).for_summary().order_by("-occurred_at")
    )
    return render(
        request,
        "advocacy/goal_detail.html",
        {
            "goal": goal,
            "positions": [(m, endorsements.get(m.pk)) for m in municipalities],
            "trail": goal.progress_trail.all(),
            "follow_ups": FollowUp.objects.visible_to(user).filter(goal=goal).for_list(),
            "page": paginate(request, meetings, 20),
            "can_edit": rules.can_edit_topics_and_goals(user),
            "can_record_progress": rules.can_record_goal_progress(user, goal),
            "progress_form": GoalProgressForm(
                initial={"status": goal.status, "progress": goal.progress}
            ),
            "can_record_endorsement": bool(endorsing),
            "endorsement_form": EndorsementForm(municipalities=endorsing),
            "follow_up_form": FollowUpAddForm(initial={"assignee": user}),
            "can_add_follow_up": rules.can_create_follow_ups(user),
        },
    )


@login_required
def goal_create(request: HttpRequest) -> HttpResponse:
    _require_topic_editor(request.user)
    initial = {}
    topic_id = request.GET.get("topic", "")
    if topic_id.isdecimal():
        initial["topic"] = topic_id
    form = GoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.create_goal(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect("advocacy:goal_detail", pk=goal.pk)
    return render(request, "advocacy/goal_form.html", {"form": form, "title": _("New goal")})


@login_required
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_topic_editor(request.user)
    goal = get_object_or_404(Goal, pk=pk)
    form = GoalForm(request.POST or None, instance=goal)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_goal(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Goal saved."))
            return redirect("advocacy:goal_detail", pk=goal.pk)
    return render(
        request, "advocacy/goal_form.html", {"form": form, "goal": goal, "title": _("Edit goal")}
    )


def _flash_form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for message in errors:
            messages.error(request, f"{label}: {message}" if label else message)


@login_required
@require_POST
def goal_progress(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    if not rules.can_record_goal_progress(request.user, goal):
        raise PermissionDenied
    form = GoalProgressForm(request.POST)
    if form.is_valid():
        try:
            services.record_goal_progress(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Progress recorded."))
    else:
        _flash_form_errors(request, form)
    return redirect("advocacy:goal_detail", pk=goal.pk)


@login_required
@require_POST
def goal_endorsement(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    form = EndorsementForm(request.POST, municipalities=_endorsing_municipalities(request.user))
    if form.is_valid():
        try:
            services.record_endorsement(goal=goal, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Position saved."))
    else:
        _flash_form_errors(request, form)
    return redirect("advocacy:goal_detail", pk=goal.pk)


@login_required
@require_POST
def goal_follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(Goal, pk=pk)
    form = FollowUpAddForm(request.POST)
    if form.is_valid():
        try:
            services.add_follow_up(by=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Follow-up added."))
    else:
        _flash_form_errors(request, form)
    return redirect("advocacy:goal_detail", pk=goal.pk)


# --- Follow-ups ------------------------------------------------------------------------------


@login_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    form = FollowUpFilterForm(request.GET or None)
    show = form.cleaned_data["show"] if form.is_valid() and form.cleaned_data["show"] else "open"
    mine = FollowUp.objects.visible_to(request.user).filter(assignee=request.user).for_list()
    if show == FollowUpFilterForm.OVERDUE:
        follow_ups = mine.overdue()
    elif show == FollowUpFilterForm.DONE:
        follow_ups = mine.filter(status=FollowUpStatus.DONE).order_by("-completed_at", "-id")
    else:
        follow_ups = mine.open()
    return render(
        request,
        "advocacy/follow_up_list.html",
        {
            "page": paginate(request, follow_ups),
            "show": show,
            "tabs": FollowUpFilterForm.base_fields["show"].choices,
            "today": timezone.localdate(),
        },
    )


def _visible_follow_up(request: HttpRequest, pk: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.visible_to(request.user).for_list().select_related("created_by"), pk=pk
    )


@login_required
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _visible_follow_up(request, pk)
    can_edit = rules.can_edit_follow_up(request.user, follow_up)
    update_form = FollowUpUpdateForm(
        request.POST if request.method == "POST" else None, instance=follow_up
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if update_form.is_valid():
            try:
                services.update_follow_up(
                    follow_up=follow_up, by=request.user, **update_form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(update_form, error)
            else:
                messages.success(request, _("Follow-up saved."))
                return redirect("advocacy:follow_up_detail", pk=follow_up.pk)
    return render(
        request,
        "advocacy/follow_up_detail.html",
        {
            "follow_up": follow_up,
            "can_edit": can_edit and follow_up.status == FollowUpStatus.OPEN,
            "update_form": update_form,
            "complete_form": FollowUpCompleteForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def follow_up_complete(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _visible_follow_up(request, pk)
    form = FollowUpCompleteForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("advocacy:follow_up_detail", pk=follow_up.pk)
    try:
        follow_up = services.complete_follow_up(
            follow_up=follow_up, by=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    if _is_htmx(request):
        follow_up = _visible_follow_up(request, pk)
        return render(
            request,
            "advocacy/_follow_up_row.html",
            {"follow_up": follow_up, "today": timezone.localdate(), "just_done": True},
        )
    messages.success(request, _("Follow-up marked done."))
    return redirect(_safe_next(request, reverse("advocacy:follow_up_detail", args=[pk])))


# --- Notifications ---------------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_user(request.user)
    return render(
        request, "advocacy/notification_list.html", {"page": paginate(request, notifications)}
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.mark_notification_read(notification=notification, by=request.user)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("advocacy:notification_list")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_notifications_read(user=request.user)
    messages.success(request, _("All notifications marked read."))
    return redirect("advocacy:notification_list")


# --- Search ----------------------------------------------------------------------------------


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = {}
    if query:
        results = {
            "contacts": list(
                Contact.objects.active().search(query).select_related("organisation")[:SEARCH_ROWS]
            ),
            "organisations": list(Organisation.objects.search(query)[:SEARCH_ROWS]),
            "topics": list(Topic.objects.search(query)[:SEARCH_ROWS]),
            "goals": list(Goal.objects.search(query).select_related("topic")[:SEARCH_ROWS]),
            "meetings": list(
                Meeting.objects.visible_to(request.user)
                .search(query)
                .select_related("author")[:SEARCH_ROWS]
            ),
        }
    return render(
        request,
        "advocacy/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "has_results": any(results.values()),
        },
    )

"""Directory pages (contacts, organisations, networks) that need nothing from advocacy.

Pages that show meetings (the contact page with its timeline, an organisation's or a network's
meetings) live in advocacy.views: crm never imports advocacy.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import rules, services
from crm.forms import (
    ContactFilterForm,
    ContactForm,
    LanguageForm,
    NetworkForm,
    NetworkMemberForm,
    OrganisationFilterForm,
    OrganisationForm,
)
from crm.models import Contact, Network, NetworkMembership, Organisation, User
from crm.ranked_search import clean_query
from crm.search import SEARCH_TOP_N

PAGE_SIZE = 25
LOOKUP_SIZE = 8


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's validation errors on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def paginate(request: HttpRequest, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def require_directory_editor(user: User) -> None:
    if not rules.can_edit_directory(user):
        raise PermissionDenied


# --- Contacts --------------------------------------------------------------------------------


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET or None)
    contacts = Contact.objects.active().for_list()
    if form.is_valid():
        data = form.cleaned_data
        if data["municipality"]:
            contacts = contacts.filter(municipality=data["municipality"])
        if data["organisation_kind"]:
            contacts = contacts.filter(organisation__kind=data["organisation_kind"])
        if data["tag"]:
            contacts = contacts.filter(tags=data["tag"])
        if data["decision_maker"]:
            contacts = contacts.decision_makers()
        if data["not_met_days"]:
            since = timezone.now() - datetime.timedelta(days=data["not_met_days"])
            contacts = contacts.not_met_since(since)
        if data["q"]:
            # Last: the search keeps the best matches of the contacts filtered so far.
            contacts = contacts.search(data["q"])
    page = paginate(request, contacts)
    return render(
        request,
        "crm/contact_list.html",
        {
            "form": form,
            "page": page,
            "search_top_n": _search_top_n(form, page),
            "query_string": _query_without_page(request),
            "can_edit": rules.can_edit_directory(request.user),
        },
    )


def _search_top_n(form, page) -> int | None:
    """SEARCH_TOP_N when a search filled its list of best matches (the page says so)."""
    searched = form.is_valid() and bool(form.cleaned_data["q"])
    return SEARCH_TOP_N if searched and page.paginator.count >= SEARCH_TOP_N else None


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def contact_create(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.create_contact(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": contact})
            return redirect("advocacy:contact_detail", pk=contact.pk)
    return render(request, "crm/contact_form.html", {"form": form, "title": _("New contact")})


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_directory_editor(request.user)
    contact = get_object_or_404(Contact.objects.filter(anonymised_at__isnull=True), pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_contact(contact=contact, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": contact})
            return redirect("advocacy:contact_detail", pk=contact.pk)
    return render(
        request,
        "crm/contact_form.html",
        {"form": form, "contact": contact, "title": _("Edit contact")},
    )


@login_required
def contact_lookup(request: HttpRequest) -> HttpResponse:
    """Type-ahead results for picking contacts (htmx fragment)."""
    query = clean_query(request.GET.get("q"))
    contacts = (
        Contact.objects.active().search(query).select_related("organisation")[:LOOKUP_SIZE]
        if query
        else Contact.objects.none()
    )
    items = [
        {
            "value": c.pk,
            "label": c.full_name,
            "detail": ", ".join(filter(None, [c.title, c.organisation and c.organisation.name])),
        }
        for c in contacts
    ]
    return _lookup_response(request, items, query, allow_new=request.GET.get("new") == "1")


@login_required
def organisation_lookup(request: HttpRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q"))
    organisations = Organisation.objects.search(query)[:LOOKUP_SIZE] if query else []
    items = [
        {"value": o.pk, "label": o.name, "detail": o.get_kind_display()} for o in organisations
    ]
    return _lookup_response(request, items, query)


@login_required
def user_lookup(request: HttpRequest) -> HttpResponse:
    query = clean_query(request.GET.get("q"))
    users = User.objects.filter(is_active=True).select_related("municipality")
    for word in query.split():
        users = users.filter(
            Q(first_name__unaccent__icontains=word)
            | Q(last_name__unaccent__icontains=word)
            | Q(username__icontains=word)
        )
    items = (
        [
            {
                "value": u.pk,
                "label": str(u),
                "detail": u.municipality.name if u.municipality else "",
            }
            for u in users[:LOOKUP_SIZE]
        ]
        if query
        else []
    )
    return _lookup_response(request, items, query)


def _lookup_response(request, items, query, *, allow_new: bool = False) -> HttpResponse:
    field = request.GET.get("field", "")
    if not field.replace("_", "").replace("-", "").isalnum():
        field = ""
    return render(
        request,
        "includes/lookup_results.html",
        {
            "items": items,
            "query": query,
            "field": field,
            "input_type": "radio" if request.GET.get("single") == "1" else "checkbox",
            "allow_new": allow_new,
        },
    )


# --- Organisations ---------------------------------------------------------------------------


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    form = OrganisationFilterForm(request.GET or None)
    organisations = Organisation.objects.for_list().order_by("name", "id")
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            organisations = organisations.filter(kind=data["kind"])
        if data["municipality"]:
            organisations = organisations.filter(municipality=data["municipality"])
        if data["tag"]:
            organisations = organisations.filter(tags=data["tag"])
        if data["q"]:
            # Last: the search keeps the best matches of the organisations filtered so far.
            organisations = organisations.search(data["q"])
    page = paginate(request, organisations)
    return render(
        request,
        "crm/organisation_list.html",
        {
            "form": form,
            "page": page,
            "search_top_n": _search_top_n(form, page),
            "query_string": _query_without_page(request),
            "can_edit": rules.can_edit_directory(request.user),
        },
    )


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.create_organisation(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Organisation %(name)s saved.") % {"name": organisation})
            return redirect("advocacy:organisation_detail", pk=organisation.pk)
    return render(
        request, "crm/organisation_form.html", {"form": form, "title": _("New organisation")}
    )


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_directory_editor(request.user)
    organisation = get_object_or_404(Organisation, pk=pk)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                organisation=organisation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Organisation %(name)s saved.") % {"name": organisation})
            return redirect("advocacy:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "crm/organisation_form.html",
        {"form": form, "organisation": organisation, "title": _("Edit organisation")},
    )


# --- Networks --------------------------------------------------------------------------------


@login_required
def network_list(request: HttpRequest) -> HttpResponse:
    networks = Network.objects.for_list().order_by("name", "id")
    return render(
        request,
        "crm/network_list.html",
        {"page": paginate(request, networks), "can_edit": rules.can_edit_directory(request.user)},
    )


@login_required
def network_create(request: HttpRequest) -> HttpResponse:
    require_directory_editor(request.user)
    form = NetworkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            network = services.create_network(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Network %(name)s saved.") % {"name": network})
            return redirect("advocacy:network_detail", pk=network.pk)
    return render(request, "crm/network_form.html", {"form": form, "title": _("New network")})


@login_required
def network_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_directory_editor(request.user)
    network = get_object_or_404(Network, pk=pk)
    form = NetworkForm(request.POST or None, instance=network)
    member_form = NetworkMemberForm(prefix="member")
    if request.method == "POST" and form.is_valid():
        try:
            services.update_network(network=network, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Network %(name)s saved.") % {"name": network})
            return redirect("advocacy:network_detail", pk=network.pk)
    return render(
        request,
        "crm/network_form.html",
        {
            "form": form,
            "network": network,
            "member_form": member_form,
            "memberships": network.memberships.select_related("contact", "organisation"),
            "title": _("Edit network"),
        },
    )


@login_required
@require_POST
def network_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_directory_editor(request.user)
    network = get_object_or_404(Network, pk=pk)
    form = NetworkMemberForm(request.POST, prefix="member")
    if form.is_valid():
        try:
            services.add_network_member(network=network, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Member added."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("crm:network_edit", pk=network.pk)


@login_required
@require_POST
def network_member_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    require_directory_editor(request.user)
    membership = get_object_or_404(NetworkMembership, pk=membership_pk, network_id=pk)
    services.remove_network_member(membership=membership, by=request.user)
    messages.success(request, _("Member removed."))
    return redirect("crm:network_edit", pk=pk)


# --- Language --------------------------------------------------------------------------------


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; a signed-in user's choice is kept on the user (User.language)."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.set_user_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response

"""Admin of the contact directory and the users, and the history views shared with advocacy.

The admin is an edge like the web views: it scopes what it lists, asks the rules of
`crm.rules` before changes, and its actions call services.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BigIntegerField, Count, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventModelAdmin
from pghistory.models import Event, MiddlewareEvents

from crm import rules
from crm.models import (
    AccessLog,
    Contact,
    ContactPosition,
    Municipality,
    Network,
    NetworkMembership,
    Organisation,
    Tag,
    User,
)

# --- History ---------------------------------------------------------------------------------
# The models are tracked by django-pghistory's triggers. Two ways to see the record:
# 1. every change page has a collapsed "History" section (who, when, which fields changed);
# 2. each event model (e.g. crm.ContactEvent) has a read-only admin, linked from the change
#    page's object tools by pghistory's admin templates; it is hidden from the index.


def _field_label(model, column: str) -> str:
    for field in model._meta.concrete_fields:
        if column in (field.name, field.attname, field.column):
            return str(field.verbose_name)
    return column


def _user_names(user_ids) -> dict[int, str]:
    ids = {int(pk) for pk in user_ids if str(pk).isdecimal()}
    return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}


# Changed by every save: noise in a list of what someone changed.
HISTORY_HIDDEN_COLUMNS = {"updated_at"}


class HistoryMixin:
    """A read-only "History" section at the end of the change page of a tracked model."""

    history_limit = 30

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("change_history")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "change_history"]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        if obj is not None:
            fieldsets.append(
                (_("History"), {"classes": ["collapse"], "fields": ["change_history"]})
            )
        return fieldsets

    @admin.display(description=_("changes"))
    def change_history(self, obj):
        # One query for the events (with their diffs, computed by pghistory in SQL), one for
        # the names of the users who made them.
        events = list(
            MiddlewareEvents.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[
                : self.history_limit
            ]
        )
        names = _user_names((e.pgh_context or {}).get("user") for e in events)
        labels = {"insert": gettext("created"), "update": gettext("changed")}
        labels["delete"] = gettext("deleted")
        rows = []
        for event in events:
            context = event.pgh_context or {}
            user = context.get("user")
            who = names.get(int(user), str(user)) if str(user).isdecimal() else ""
            changes = "; ".join(
                f"{_field_label(obj.__class__, column)}: {old} → {new}"
                for column, (old, new) in sorted((event.pgh_diff or {}).items())
                if column not in HISTORY_HIDDEN_COLUMNS
            )
            rows.append(
                (
                    date_format(timezone.localtime(event.pgh_created_at), "SHORT_DATETIME_FORMAT"),
                    who or context.get("source") or "–",
                    " / ".join(
                        filter(
                            None,
                            [labels.get(event.pgh_label, event.pgh_label), context.get("action")],
                        )
                    ),
                    changes,
                )
            )
        table = format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            gettext("when"),
            gettext("who"),
            gettext("event"),
            gettext("changes"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )
        if not rows:
            table = gettext("No recorded changes.")
        events_admin = _event_admin_for(obj.__class__)
        if events_admin is None:
            return table
        link = reverse(
            f"admin:{events_admin._meta.app_label}_{events_admin._meta.model_name}_changelist"
        )
        return format_html(
            '{}<p><a href="{}?obj={}:{}">{}</a></p>',
            table,
            link,
            obj._meta.label,
            obj.pk,
            gettext("All recorded events of this row"),
        )


def _event_admin_for(model):
    """The event model whose admin lists the history of `model`, if one is registered."""
    for registered in admin.site._registry:
        if getattr(registered, "pgh_tracked_model", None) is model and hasattr(
            registered, "pgh_obj"
        ):
            return registered
    return None


class HistoryEventAdmin(EventModelAdmin):
    """Read-only list of one event model (e.g. crm.ContactEvent), hidden from the index.

    `scope` returns the tracked objects the user may see, or None when everything is visible;
    `scope_field` names the event column compared against it.
    """

    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_id", "acting_user", "action"]
    list_select_related = ["pgh_context"]
    ordering = ["-pgh_created_at", "-pgh_id"]
    show_full_result_count = False
    scope_field = "pgh_obj_id"

    def scope(self, request):
        return None

    def get_model_perms(self, request):
        return {}  # reached from the object's change page, not the index

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .annotate(
                acting_user_id=Cast(
                    KeyTextTransform("user", "pgh_context__metadata"), BigIntegerField()
                )
            )
            .annotate(
                acting_username=Subquery(
                    User.objects.filter(pk=OuterRef("acting_user_id")).values("username")[:1]
                )
            )
        )
        visible = self.scope(request)
        if visible is not None:
            queryset = queryset.filter(**{f"{self.scope_field}__in": visible.values("pk")})
        return queryset

    def changelist_view(self, request, extra_context=None):
        # pghistory's changelist shows the object named in ?obj=app.Model:pk as a subtitle;
        # never name an object the user may not see.
        obj = request.GET.get("obj", "")
        visible = self.scope(request)
        if visible is not None and ":" in obj:
            pk = obj.split(":", 1)[1]
            if not pk.isdecimal() or not visible.filter(pk=pk).exists():
                raise PermissionDenied
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("user"))
    def acting_user(self, event):
        return event.acting_username or ""

    @admin.display(description=_("action"))
    def action(self, event):
        metadata = event.pgh_context.metadata if event.pgh_context_id else {}
        return metadata.get("action") or metadata.get("source") or metadata.get("url") or ""


def register_event_admins(app_label: str, overrides: dict | None = None) -> None:
    """Register a HistoryEventAdmin for every pghistory event model of the app."""
    overrides = overrides or {}
    for model in apps.get_app_config(app_label).get_models():
        if issubclass(model, Event) and not admin.site.is_registered(model):
            admin.site.register(model, overrides.get(model._meta.object_name, HistoryEventAdmin))


class ParentRuleInline(admin.TabularInline):
    """Rows of an inline are changed by whoever may change the row they belong to: the
    parent admin's `has_change_permission(obj)` decides, on top of the model permissions."""

    extra = 0

    def _parent_editable(self, request, obj) -> bool:
        if obj is None:
            return True
        return self.admin_site._registry[self.parent_model].has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_editable(request, obj)


# --- Municipalities and users ----------------------------------------------------------------


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_joint_organisation"]
    list_filter = ["is_joint_organisation"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(HistoryMixin, DjangoUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "municipality",
        "role",
        "is_active",
        "is_staff",
    ]
    list_filter = ["role", "municipality", "is_active", "is_staff", "is_superuser", "groups"]
    list_select_related = ["municipality"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Kuusikko"), {"fields": ["municipality", "role", "language"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (
            _("Kuusikko"),
            {"classes": ["wide"], "fields": ["first_name", "last_name", "email"]},
        ),
        (None, {"classes": ["wide"], "fields": ["municipality", "role", "language"]}),
    ]

    def _manages_users(self, request) -> bool:
        return request.user.is_superuser or rules.can_manage_users(request.user)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._manages_users(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._manages_users(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._manages_users(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser hands out superuser status or raw permissions.
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields


# --- Directory -------------------------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class DirectoryAdmin(HistoryMixin, admin.ModelAdmin):
    """Contacts, organisations and networks: everyone who works with them keeps them clean."""

    def _edits_directory(self, request) -> bool:
        return request.user.is_superuser or rules.can_edit_directory(request.user)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and self._edits_directory(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._edits_directory(request)


@admin.register(Organisation)
class OrganisationAdmin(DirectoryAdmin):
    list_display = ["name", "kind", "parent", "municipality", "business_id", "website"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["parent", "municipality"]
    search_fields = ["name", "business_id", "email"]
    autocomplete_fields = ["parent", "tags"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "parent", "municipality", "business_id"]}),
        (_("Contact details"), {"fields": ["website", "email", "phone"]}),
        (None, {"fields": ["tags", "notes", "created_at", "updated_at"]}),
    ]


class ContactPositionInline(ParentRuleInline):
    model = ContactPosition
    fields = ["title", "organisation", "start_date", "end_date"]
    autocomplete_fields = ["organisation"]
    extra = 0


class ContactMembershipInline(ParentRuleInline):
    model = NetworkMembership
    fk_name = "contact"
    fields = ["network", "role", "since"]
    autocomplete_fields = ["network"]
    extra = 0


@admin.register(Contact)
class ContactAdmin(DirectoryAdmin):
    list_display = [
        "last_name",
        "first_name",
        "title",
        "organisation",
        "municipality",
        "is_decision_maker",
        "influence_level",
        "last_interaction_at",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = [
        "is_decision_maker",
        "influence_level",
        "municipality",
        "organisation__kind",
        "lawful_basis",
        ("archived_at", admin.EmptyFieldListFilter),
        ("anonymised_at", admin.EmptyFieldListFilter),
        "tags",
    ]
    list_select_related = ["organisation", "municipality"]
    search_fields = ["last_name", "first_name", "email", "title", "organisation__name"]
    autocomplete_fields = ["organisation", "relationship_owners", "tags"]
    date_hierarchy = "last_interaction_at"
    show_full_result_count = False
    readonly_fields = [
        "last_interaction_at",
        "anonymised_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "title", "organisation", "municipality"]}),
        (
            _("Contact details"),
            {"fields": ["email", "secondary_email", "phone", "mobile_phone"]},
        ),
        (
            _("Advocacy"),
            {
                "fields": [
                    "is_decision_maker",
                    "influence_level",
                    "stale_after_days",
                    "relationship_owners",
                    "tags",
                    "last_interaction_at",
                ]
            },
        ),
        (
            _("Data protection"),
            {"fields": ["lawful_basis", "notes", "archived_at", "anonymised_at"]},
        ),
        (None, {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    inlines = [ContactPositionInline, ContactMembershipInline]
    actions = ["archive", "anonymise"]

    def has_delete_permission(self, request, obj=None):
        # Meetings PROTECT their participants: a person is anonymised, never deleted.
        return False

    def has_anonymise_permission(self, request):
        return request.user.is_superuser or rules.can_anonymise_contacts(request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Archive the selected contacts"), permissions=["change"])
    def archive(self, request, queryset):
        contacts = list(queryset.filter(archived_at__isnull=True))
        for contact in contacts:
            contact.archive()
        self.message_user(
            request,
            ngettext("%d contact archived.", "%d contacts archived.", len(contacts))
            % len(contacts),
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Anonymise the selected contacts (cannot be undone)"),
        permissions=["anonymise"],
    )
    def anonymise(self, request, queryset):
        from crm.services import anonymise_contact

        done = 0
        for contact in queryset.filter(anonymised_at__isnull=True):
            try:
                anonymise_contact(contact=contact, by=request.user)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{contact}: {error}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%d contact anonymised.", "%d contacts anonymised.", done) % done,
            messages.SUCCESS,
        )


@admin.register(ContactPosition)
class ContactPositionAdmin(HistoryMixin, admin.ModelAdmin):
    list_display = ["contact", "title", "organisation", "start_date", "end_date"]
    list_filter = ["organisation__kind", ("end_date", admin.EmptyFieldListFilter)]
    list_select_related = ["contact", "organisation"]
    search_fields = ["title", "contact__last_name", "contact__first_name", "organisation__name"]
    autocomplete_fields = ["contact", "organisation"]
    date_hierarchy = "start_date"


class NetworkMembershipInline(ParentRuleInline):
    model = NetworkMembership
    fk_name = "network"
    fields = ["contact", "organisation", "role", "since"]
    autocomplete_fields = ["contact", "organisation"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contact", "organisation")


@admin.register(Network)
class NetworkAdmin(DirectoryAdmin):
    list_display = ["name", "kind", "owner", "member_count"]
    list_filter = ["kind"]
    list_select_related = ["owner"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [NetworkMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, network):
        return network.member_count


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(HistoryMixin, admin.ModelAdmin):
    list_display = ["network", "contact", "organisation", "role", "since"]
    list_filter = ["network"]
    list_select_related = ["network", "contact", "organisation"]
    search_fields = [
        "network__name",
        "contact__last_name",
        "contact__first_name",
        "organisation__name",
        "role",
    ]
    autocomplete_fields = ["network", "contact", "organisation"]


register_event_admins("crm")


# --- Personal data: the access log -----------------------------------------------------------


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the log is written by `crm.gdpr.record_access` and never edited."""

    list_display = ["occurred_at", "user", "purpose", "target", "contact_ids"]
    list_filter = ["purpose", "occurred_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "target"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and (
            request.user.is_superuser or rules.can_handle_personal_data(request.user)
        )

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        # A number searches the contacts the entry is about.
        if search_term.strip().isdecimal():
            return queryset.about(int(search_term.strip())), False
        return super().get_search_results(request, queryset, search_term)

"""Admin of topics, goals, meetings, follow-ups and reminders.

Every queryset that returns meetings or follow-ups starts from `visible_to(request.user)`;
changes are asked of `advocacy.rules`; actions and saves of follow-ups and goal progress call
`advocacy.services`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from advocacy import rules, services
from advocacy.gdpr import anonymise_contact_everywhere
from advocacy.models import (
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalProgress,
    Meeting,
    MeetingContact,
    Notification,
    OutboxEmail,
    Reminder,
    Topic,
)
from crm import admin as crm_admin
from crm.admin import HistoryEventAdmin, HistoryMixin, ParentRuleInline, register_event_admins
from crm.gdpr import record_access
from crm.models import AccessPurpose, Contact


def _edits_topics_and_goals(request) -> bool:
    return request.user.is_superuser or rules.can_edit_topics_and_goals(request.user)


def _edits_meeting(request, meeting: Meeting) -> bool:
    return request.user.is_superuser or rules.can_edit_meeting(request.user, meeting)


def _edits_follow_up(request, follow_up: FollowUp) -> bool:
    return request.user.is_superuser or rules.can_edit_follow_up(request.user, follow_up)


class ReadOnlyAdminMixin:
    """Rows written by the system: listed and inspected, never edited by hand."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Follow-ups as inlines (shared by goals and meetings) ------------------------------------


class FollowUpInline(ParentRuleInline):
    model = FollowUp
    fields = ["description", "assignee", "due_date", "status", "completed_at"]
    readonly_fields = ["status", "completed_at"]
    autocomplete_fields = ["assignee"]
    extra = 0

    def get_queryset(self, request):
        return FollowUp.objects.visible_to(request.user).select_related("assignee")


class SavesFollowUpsMixin:
    """Follow-ups added or changed in an inline go through the services, like everywhere else."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not FollowUp:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for follow_up in formset.deleted_objects:
            follow_up.delete()
        for follow_up in instances:
            try:
                if follow_up.pk is None:
                    services.add_follow_up(
                        by=request.user,
                        description=follow_up.description,
                        assignee=follow_up.assignee,
                        due_date=follow_up.due_date,
                        meeting=follow_up.meeting,
                        goal=follow_up.goal,
                    )
                else:
                    services.update_follow_up(
                        follow_up=follow_up,
                        by=request.user,
                        description=follow_up.description,
                        assignee=follow_up.assignee,
                        due_date=follow_up.due_date,
                    )
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{follow_up}: {_message(error)}", messages.ERROR)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or gettext("Permission denied.")


# --- Topics and goals ------------------------------------------------------------------------


class TopicsAndGoalsAdmin(HistoryMixin, admin.ModelAdmin):
    """The coordinator edits topics and goals; everyone sees them."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and _edits_topics_and_goals(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _edits_topics_and_goals(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _edits_topics_and_goals(request)


@admin.register(Topic)
class TopicAdmin(TopicsAndGoalsAdmin):
    list_display = ["name", "status", "priority", "owner", "goal_count"]
    list_filter = ["status", "priority", "municipalities"]
    list_select_related = ["owner"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["owner", "tags"]
    filter_horizontal = ["municipalities"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(goal_count=Count("goals"))

    @admin.display(description=_("goals"), ordering="goal_count")
    def goal_count(self, topic):
        return topic.goal_count


class GoalEndorsementInline(ParentRuleInline):
    model = GoalEndorsement
    fields = ["municipality", "state", "deciding_body", "decision_date", "minutes_reference"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("municipality")


class GoalProgressInline(ReadOnlyAdminMixin, ParentRuleInline):
    model = GoalProgress
    fields = ["created_at", "status", "progress", "note", "author"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(Goal)
class GoalAdmin(SavesFollowUpsMixin, TopicsAndGoalsAdmin):
    list_display = ["title", "topic", "status", "progress", "target_date", "owner"]
    list_filter = ["status", "topic", "endorsing_municipalities"]
    list_select_related = ["topic", "owner"]
    search_fields = ["title", "description", "topic__name"]
    autocomplete_fields = ["topic", "owner"]
    date_hierarchy = "target_date"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [GoalEndorsementInline, GoalProgressInline, FollowUpInline]

    def has_change_permission(self, request, obj=None):
        # The goal's owner moves her own goal, as `services.record_goal_progress` allows.
        if obj is not None and obj.owner_id == request.user.pk:
            return admin.ModelAdmin.has_change_permission(self, request, obj)
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        moved = {"status", "progress"} & set(form.changed_data)
        if not change or not moved:
            super().save_model(request, obj, form, change)
            return
        # A change of status or progress is a step of the progress trail: the service records
        # it; the rest of the form is saved as usual.
        services.record_goal_progress(
            goal=obj,
            by=request.user,
            status=obj.status,
            progress=obj.progress,
            note=gettext("Changed in the admin."),
        )
        saved = Goal.objects.get(pk=obj.pk)
        obj.status, obj.progress = saved.status, saved.progress
        if set(form.changed_data) - moved:
            super().save_model(request, obj, form, change)


@admin.register(GoalEndorsement)
class GoalEndorsementAdmin(TopicsAndGoalsAdmin):
    list_display = [
        "goal",
        "municipality",
        "state",
        "deciding_body",
        "decision_date",
        "minutes_reference",
    ]
    list_filter = ["state", "municipality", "deciding_body"]
    list_select_related = ["goal", "municipality"]
    search_fields = ["goal__title", "minutes_reference", "deciding_body"]
    autocomplete_fields = ["goal"]
    date_hierarchy = "decision_date"


@admin.register(GoalProgress)
class GoalProgressAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["goal", "created_at", "status", "progress", "author"]
    list_filter = ["status"]
    list_select_related = ["goal", "author"]
    search_fields = ["goal__title", "note"]
    date_hierarchy = "created_at"


# --- Meetings --------------------------------------------------------------------------------


class MeetingContactInline(ParentRuleInline):
    model = MeetingContact
    fields = ["contact"]
    autocomplete_fields = ["contact"]
    extra = 0
    verbose_name = _("their participant")
    verbose_name_plural = _("their participants")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contact")


class MeetingFollowUpInline(FollowUpInline):
    fk_name = "meeting"


@admin.register(Meeting)
class MeetingAdmin(SavesFollowUpsMixin, HistoryMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "title", "kind", "visibility", "author", "municipality"]
    list_display_links = ["occurred_at", "title"]
    list_filter = ["kind", "visibility", "municipality", "topics"]
    list_select_related = ["author", "municipality"]
    search_fields = ["title", "place"]
    autocomplete_fields = ["our_participants", "organisations", "topics", "goals"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    readonly_fields = ["author", "municipality", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["occurred_at", "kind", "title", "place", "visibility"]}),
        (None, {"fields": ["our_participants", "organisations", "topics", "goals"]}),
        (None, {"fields": ["notes", "outcomes"]}),
        (None, {"fields": ["author", "municipality", "created_at", "updated_at"]}),
    ]
    inlines = [MeetingContactInline, MeetingFollowUpInline]

    def get_queryset(self, request):
        # Scope first: the admin shows only the meetings the user may see.
        return Meeting.objects.visible_to(request.user).select_related("author", "municipality")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or rules.can_log_meetings(request.user)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or _edits_meeting(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or _edits_meeting(request, obj)
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
            obj.municipality_id = request.user.municipality_id
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        meeting = form.instance
        before = set(meeting.contact_links.values_list("contact_id", flat=True))
        super().save_related(request, form, formsets, change)
        if not change:
            meeting.our_participants.add(request.user)
        after = set(meeting.contact_links.values_list("contact_id", flat=True))
        # Keep the participants' "last met" true, also for anyone removed from the meeting.
        services.refresh_last_interaction(sorted(before | after))

    def delete_model(self, request, obj):
        contact_ids = list(obj.contact_links.values_list("contact_id", flat=True))
        super().delete_model(request, obj)
        services.refresh_last_interaction(contact_ids)

    def delete_queryset(self, request, queryset):
        contact_ids = list(
            MeetingContact.objects.filter(meeting__in=queryset).values_list("contact_id", flat=True)
        )
        super().delete_queryset(request, queryset)
        services.refresh_last_interaction(contact_ids)


@admin.register(MeetingContact)
class MeetingContactAdmin(HistoryMixin, admin.ModelAdmin):
    list_display = ["contact", "meeting", "occurred_at"]
    list_select_related = ["contact", "meeting"]
    search_fields = ["contact__last_name", "contact__first_name", "meeting__title"]
    autocomplete_fields = ["meeting", "contact"]
    show_full_result_count = False

    def get_queryset(self, request):
        visible = Meeting.objects.visible_to(request.user)
        return MeetingContact.objects.filter(meeting__in=visible).select_related(
            "contact", "meeting"
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "meeting":
            kwargs["queryset"] = Meeting.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or _edits_meeting(request, obj.meeting)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or _edits_meeting(request, obj.meeting)
        )

    @admin.display(description=_("when"), ordering="meeting__occurred_at")
    def occurred_at(self, link):
        return link.meeting.occurred_at

    def save_model(self, request, obj, form, change):
        if not _edits_meeting(request, obj.meeting):
            raise PermissionDenied
        old_contact_id = (
            MeetingContact.objects.filter(pk=obj.pk).values_list("contact_id", flat=True).first()
        )
        super().save_model(request, obj, form, change)
        services.refresh_last_interaction([c for c in (old_contact_id, obj.contact_id) if c])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.refresh_last_interaction([obj.contact_id])

    def delete_queryset(self, request, queryset):
        contact_ids = list(queryset.values_list("contact_id", flat=True))
        super().delete_queryset(request, queryset)
        services.refresh_last_interaction(contact_ids)


# --- Follow-ups ------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(HistoryMixin, admin.ModelAdmin):
    list_display = [
        "short_description",
        "assignee",
        "due_date",
        "status",
        "is_overdue",
        "meeting",
        "goal",
    ]
    list_filter = [OverdueFilter, "status", "assignee__municipality", "due_date"]
    list_select_related = ["assignee", "meeting", "goal"]
    search_fields = ["description", "meeting__title", "goal__title"]
    autocomplete_fields = ["meeting", "goal", "assignee"]
    ordering = ["-due_date", "-id"]  # what is due now and next, before last year's
    show_full_result_count = False
    readonly_fields = [
        "status",
        "completion_note",
        "completed_at",
        "completed_by",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fields = [
        "description",
        "assignee",
        "due_date",
        "meeting",
        "goal",
        *readonly_fields,
    ]
    actions = ["mark_done", "cancel"]

    def get_queryset(self, request):
        return FollowUp.objects.visible_to(request.user).for_list()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["meeting", "goal"]  # a follow-up keeps its origin
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "meeting":
            kwargs["queryset"] = Meeting.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or rules.can_create_follow_ups(request.user)
        )

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        # A closed follow-up is history; only open ones are edited (as the services say).
        return obj is None or (obj.status == FollowUpStatus.OPEN and _edits_follow_up(request, obj))

    @admin.display(description=_("description"), ordering="description")
    def short_description(self, follow_up):
        return Truncator(follow_up.description).chars(80)

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, follow_up):
        return follow_up.is_overdue

    def save_model(self, request, obj, form, change):
        if change:
            services.update_follow_up(
                follow_up=obj,
                by=request.user,
                description=obj.description,
                assignee=obj.assignee,
                due_date=obj.due_date,
            )
        else:
            created = services.add_follow_up(
                by=request.user,
                description=obj.description,
                assignee=obj.assignee,
                due_date=obj.due_date,
                meeting=obj.meeting,
                goal=obj.goal,
            )
            obj.pk = created.pk
        obj.refresh_from_db()

    def _close(self, request, queryset, service, done_message):
        closed = 0
        for follow_up in queryset.filter(status=FollowUpStatus.OPEN):
            try:
                service(follow_up=follow_up, by=request.user)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{follow_up}: {_message(error)}", messages.ERROR)
            else:
                closed += 1
        self.message_user(request, done_message(closed) % closed, messages.SUCCESS)

    @admin.action(description=_("Mark the selected follow-ups done"), permissions=["change"])
    def mark_done(self, request, queryset):
        self._close(
            request,
            queryset,
            services.complete_follow_up,
            lambda n: ngettext("%d follow-up marked done.", "%d follow-ups marked done.", n),
        )

    @admin.action(description=_("Cancel the selected follow-ups"), permissions=["change"])
    def cancel(self, request, queryset):
        self._close(
            request,
            queryset,
            services.cancel_follow_up,
            lambda n: ngettext("%d follow-up cancelled.", "%d follow-ups cancelled.", n),
        )


# --- Reminders and delivered messages --------------------------------------------------------


class RetryMixin:
    """A "retry" admin action for rows that failed for good, allowed to administrators."""

    def has_retry_permission(self, request) -> bool:
        return rules.can_operate_reminders(request.user)

    def _retry(self, request, queryset, service, done_message):
        retried = 0
        for row in queryset:
            try:
                service(row, request.user)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{row}: {_message(error)}", messages.ERROR)
            else:
                retried += 1
        self.message_user(request, done_message(retried) % retried, messages.SUCCESS)

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80)


@admin.register(Reminder)
class ReminderAdmin(RetryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "due_at",
        "kind",
        "recipient",
        "channel",
        "state",
        "attempts",
        "short_error",
        "sent_at",
    ]
    list_filter = ["state", "channel", "kind"]
    list_select_related = ["recipient"]
    ordering = ["-due_at", "-id"]
    search_fields = ["recipient__username", "recipient__last_name", "key", "last_error"]
    date_hierarchy = "due_at"
    show_full_result_count = False
    actions = ["retry"]
    readonly_fields = [
        "kind",
        "recipient",
        "channel",
        "due_at",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "follow_up",
        "contact",
        "key",
        "claimed_at",
        "sent_at",
        "created_at",
    ]

    def get_queryset(self, request):
        # The delivery machinery is watched by administrators; everyone else sees her own
        # reminders (they name follow-ups and contacts she may not otherwise see).
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(recipient=request.user)

    @admin.action(description=_("Retry the selected failed reminders"), permissions=["retry"])
    def retry(self, request, queryset):
        self._retry(
            request,
            queryset,
            lambda reminder, by: services.retry_reminder(reminder=reminder, by=by),
            lambda n: ngettext(
                "%d reminder will be sent again by the next sweep.",
                "%d reminders will be sent again by the next sweep.",
                n,
            ),
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "subject", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["subject", "recipient__username"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.for_user(request.user)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(RetryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "to_address",
        "subject",
        "state",
        "attempts",
        "short_error",
        "sent_at",
    ]
    list_filter = ["state"]
    search_fields = ["to_address", "subject", "last_error"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["retry"])
    def retry(self, request, queryset):
        self._retry(
            request,
            queryset,
            lambda email, by: services.retry_outbox_email(email=email, by=by),
            lambda n: ngettext(
                "%d e-mail will be sent again by the next relay.",
                "%d e-mails will be sent again by the next relay.",
                n,
            ),
        )


# --- History of meetings and follow-ups: scoped like the rows themselves ---------------------


class MeetingEventAdmin(HistoryEventAdmin):
    def scope(self, request):
        return Meeting.objects.visible_to(request.user)


class MeetingContactEventAdmin(HistoryEventAdmin):
    scope_field = "meeting_id"

    def scope(self, request):
        return Meeting.objects.visible_to(request.user)

    def changelist_view(self, request, extra_context=None):
        obj = request.GET.get("obj", "")
        if ":" in obj:
            pk = obj.split(":", 1)[1]
            visible = MeetingContact.objects.filter(meeting__in=self.scope(request))
            if not pk.isdecimal() or not visible.filter(pk=pk).exists():
                raise PermissionDenied
        return super(HistoryEventAdmin, self).changelist_view(request, extra_context)


class FollowUpEventAdmin(HistoryEventAdmin):
    def scope(self, request):
        return FollowUp.objects.visible_to(request.user)


register_event_admins(
    "advocacy",
    {
        "MeetingEvent": MeetingEventAdmin,
        "MeetingContactEvent": MeetingContactEventAdmin,
        "FollowUpEvent": FollowUpEventAdmin,
    },
)


# --- Contacts: the advocacy side of personal data ----------------------------------------------
# crm's ContactAdmin cannot reach the meetings; this subclass, registered in its place, makes the
# anonymise action scrub the person from meetings, follow-ups and messages too, and logs every
# opening of a contact's change page in the access log.


class ContactAdmin(crm_admin.ContactAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and object_id.isdecimal():
            record_access(
                user=request.user,
                purpose=AccessPurpose.VIEW,
                contact=int(object_id),
                target="admin contact page",
            )
        return response

    @admin.action(
        description=_("Anonymise the selected contacts (cannot be undone)"),
        permissions=["anonymise"],
    )
    def anonymise(self, request, queryset):
        done = 0
        for contact in queryset.filter(anonymised_at__isnull=True):
            try:
                anonymise_contact_everywhere(contact=contact, by=request.user)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"#{contact.pk}: {error}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%d contact anonymised.", "%d contacts anonymised.", done) % done,
            messages.SUCCESS,
        )


admin.site.unregister(Contact)
admin.site.register(Contact, ContactAdmin)

"""REST API of advocacy: topics, goals, meetings, follow-ups, the caller's reminders and
notifications, and the meeting side of contacts.

Every read that involves meetings starts from `Meeting.objects.visible_to(user)` (or
`FollowUp.objects.visible_to(user)`): lists, details, filters, search and every count or date
embedded in another resource. A meeting the caller may not see is a 404, exactly like one that
does not exist. Writes validate with an input serializer and call one service of
`advocacy.services`; permissions are the rules of `advocacy.rules`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import (
    ChoicesFilter,
    CursorPagination,
    FilterSet,
    PreloadedPrimaryKeyField,
    PreloadingListSerializer,
    PrimaryKeysField,
    RowReadMixin,
    ScopedPrimaryKeyField,
    ServiceWritesMixin,
    StrictBooleanFilter,
    VersionedMixin,
    datetime_text,
    prebuilt,
)
from crm import api as crm_api
from crm.api import RefSerializer, SearchFilterSet, TagNamesField, UserOrMeFilter, search_filter
from crm.gdpr import record_access
from crm.models import (
    AccessPurpose,
    Contact,
    Municipality,
    Network,
    NetworkMembership,
    Organisation,
    User,
)

from . import rules, services
from .gdpr import anonymise_contact_everywhere
from .models import (
    Channel,
    FollowUp,
    FollowUpStatus,
    Goal,
    GoalEndorsement,
    GoalProgress,
    GoalStatus,
    Meeting,
    MeetingContact,
    MeetingKind,
    Notification,
    Priority,
    Reminder,
    ReminderKind,
    ReminderState,
    Topic,
    TopicStatus,
    Visibility,
    contact_meeting_stats,
)


def visible_meetings(request):
    return Meeting.objects.visible_to(request.user)


class GoalRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class VersionField(serializers.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            min_value=1,
            help_text=_("For updates without If-Match: the version you last read."),
            **kwargs,
        )


# --- Contacts: the meeting side ------------------------------------------------------------


class ContactSerializer(crm_api.ContactSerializer):
    meeting_count = serializers.IntegerField(
        read_only=True, help_text=_("Meetings with the person that you may see.")
    )
    last_met_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("The latest meeting with the person that you may see."),
    )

    class Meta(crm_api.ContactSerializer.Meta):
        fields = [*crm_api.ContactSerializer.Meta.fields, "meeting_count", "last_met_at"]
        read_only_fields = fields


class ContactDetailSerializer(crm_api.ContactDetailSerializer):
    meeting_count = ContactSerializer._declared_fields["meeting_count"]
    last_met_at = ContactSerializer._declared_fields["last_met_at"]

    class Meta(crm_api.ContactDetailSerializer.Meta):
        fields = [*crm_api.ContactDetailSerializer.Meta.fields, "meeting_count", "last_met_at"]
        read_only_fields = fields


class ContactFilter(crm_api.ContactFilter):
    topic = filters.ModelChoiceFilter(
        queryset=Topic.objects.all(),
        method="filter_topic",
        help_text=_("People met about the topic (in meetings you may see)."),
    )

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_topic(self, queryset, name, value):
        met = visible_meetings(self.request).filter(
            topics=value, contact_links__contact_id=OuterRef("pk")
        )
        return queryset.filter(Exists(met))


class ContactViewSet(crm_api.ContactViewSet):
    """People we influence or work with, with how often and when you (the caller) can see
    they were met. DELETE anonymises the person (identity removed, meeting records kept).

    `last_met_at` counts only meetings you may see. The stored `last_interaction_at` (from
    every meeting, for the reminders) is not shown: it would reveal the date of a restricted
    meeting.
    """

    filterset_class = ContactFilter

    def get_queryset(self):
        if self.reads_rows():
            # The list's and the detail's rows get their meeting stats apart (page_rows,
            # get_row), so that the rows' own queries, the same for every user, are compiled
            # once (crm's page_lookup and row_lookup).
            return super().get_queryset()
        # Counted off the contacts' own participant rows (their copies of the meetings'
        # visibility fields and time): one index range per contact, no meeting row read.
        met = MeetingContact.objects.visible_to(self.request.user)
        return (
            super()
            .get_queryset()
            .annotate(meeting_count=met.count_per_contact(), last_met_at=met.latest_per_contact())
        )

    def get_serializer_class(self):
        return ContactSerializer if self.action == "list" else ContactDetailSerializer

    def row_representer(self, zone):
        contact_row = super().row_representer(zone)

        def represent(row):
            data = contact_row(row)
            stats = row["meeting_stats"]
            data["meeting_count"] = stats["count"]
            data["last_met_at"] = datetime_text(stats["latest"], zone)
            return data

        return represent

    def page_rows(self, keys):
        rows = super().page_rows(keys)
        stats = contact_meeting_stats(self.request.user, [row["id"] for row in rows])
        for row in rows:
            row["meeting_stats"] = stats[row["id"]]
        return rows

    def get_row(self):
        """The detail's row (the read of "retrieve", `row_actions`)."""
        row = super().get_row()
        # Reading one person is logged (crm/gdpr.py; information management act). Sent as soon
        # as the person is found: its commit overlaps the rest of the read, and is confirmed
        # before the response leaves.
        record_access(
            user=self.request.user,
            purpose=AccessPurpose.API,
            contact=row["id"],
            target="api contact",
        )
        row["meeting_stats"] = contact_meeting_stats(self.request.user, [row["id"]])[row["id"]]
        return row

    @extend_schema(
        request=crm_api.ContactCreateSerializer, responses={201: ContactDetailSerializer}
    )
    def create(self, request):
        return super().create(request)

    @extend_schema(request=crm_api.ContactInputSerializer, responses=ContactDetailSerializer)
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(request=crm_api.ContactInputSerializer, responses=ContactDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        # Anonymise everywhere: the person's identity also leaves meetings and messages.
        anonymise_contact_everywhere(contact=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Topics ----------------------------------------------------------------------------------


class TopicSerializer(serializers.ModelSerializer):
    owner = RefSerializer(read_only=True, allow_null=True)
    municipalities = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    goal_count = serializers.IntegerField(read_only=True)
    meeting_count = serializers.IntegerField(
        read_only=True, help_text=_("Meetings about the topic that you may see.")
    )

    class Meta:
        model = Topic
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "status",
            "priority",
            "municipalities",
            "tags",
            "goal_count",
            "meeting_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TopicInputSerializer(serializers.ModelSerializer):
    municipalities = PrimaryKeysField(queryset=Municipality.objects.all(), required=False)
    tags = TagNamesField(required=False)

    class Meta:
        model = Topic
        fields = ["name", "description", "owner", "status", "priority", "municipalities", "tags"]


class TopicFilter(SearchFilterSet):
    search = search_filter()
    status = ChoicesFilter(choices=TopicStatus.choices)
    priority = ChoicesFilter(choices=Priority.choices)
    municipality = filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(), field_name="municipalities"
    )
    owner = UserOrMeFilter(field_name="owner", help_text=_('User id or "me".'))
    tags = crm_api.tag_filter()

    class Meta:
        model = Topic
        fields = []


class TopicViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Lobbying themes. The coordinator creates and changes them.

    DELETE is for a topic created by mistake: one with goals, or with meetings you can see, is
    a 400 (close it instead); one that only meetings hidden from you use leaves every list
    while those meetings keep their record: the same 204 as an unused one.
    """

    serializer_class = TopicSerializer
    input_serializer_class = TopicInputSerializer
    filterset_class = TopicFilter
    ordering = ("-priority", "name")
    ordering_fields = ("name", "priority", "created_at", "id")
    action_rules = {
        "create": rules.can_edit_topics_and_goals,
        "update": rules.can_edit_topics_and_goals,
        "partial_update": rules.can_edit_topics_and_goals,
        "destroy": rules.can_edit_topics_and_goals,
    }

    def get_queryset(self):
        return Topic.objects.for_list(self.request.user)

    @extend_schema(request=TopicInputSerializer, responses={201: TopicSerializer})
    def create(self, request):
        topic = services.create_topic(by=request.user, **self.validated_input(request.data))
        return self.respond(topic, status.HTTP_201_CREATED)

    @extend_schema(request=TopicInputSerializer, responses=TopicSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        topic = self.get_object()
        data = self.validated_input(request.data, instance=topic, partial=partial)
        return self.respond(services.update_topic(topic=topic, by=request.user, **data))

    @extend_schema(request=TopicInputSerializer, responses=TopicSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.delete_topic(topic=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Goals -----------------------------------------------------------------------------------


class EndorsementSerializer(serializers.ModelSerializer):
    municipality = RefSerializer(read_only=True)

    class Meta:
        model = GoalEndorsement
        fields = [
            "id",
            "municipality",
            "state",
            "deciding_body",
            "decision_date",
            "minutes_reference",
        ]
        read_only_fields = fields


class EndorsementInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = GoalEndorsement
        fields = ["municipality", "state", "deciding_body", "decision_date", "minutes_reference"]
        validators = []  # one position per municipality: the service updates the existing one


class ProgressEntrySerializer(serializers.ModelSerializer):
    author = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = GoalProgress
        fields = ["id", "created_at", "author", "status", "progress", "note"]
        read_only_fields = fields


class ProgressInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    version = VersionField()


class GoalSerializer(serializers.ModelSerializer):
    topic = RefSerializer(read_only=True)
    owner = RefSerializer(read_only=True, allow_null=True)
    endorsements = EndorsementSerializer(many=True, read_only=True)
    meeting_count = serializers.IntegerField(
        read_only=True, help_text=_("Meetings about the goal that you may see.")
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "topic",
            "title",
            "description",
            "status",
            "progress",
            "target_date",
            "owner",
            "endorsements",
            "meeting_count",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GoalDetailSerializer(GoalSerializer):
    progress_trail = ProgressEntrySerializer(many=True, read_only=True)

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "progress_trail"]
        read_only_fields = fields


class GoalCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = ["topic", "title", "description", "status", "progress", "target_date", "owner"]


class GoalInputSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = Goal
        fields = ["topic", "title", "description", "target_date", "owner", "version"]


class GoalFilter(SearchFilterSet):
    search = search_filter()
    status = ChoicesFilter(choices=GoalStatus.choices)
    owner = UserOrMeFilter(field_name="owner", help_text=_('User id or "me".'))
    municipality = filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(),
        method="filter_municipality",
        help_text=_("Goals the municipality has taken a position on."),
    )
    date_after = filters.DateFilter(
        field_name="target_date", lookup_expr="gte", help_text=_("Target date on or after.")
    )
    date_before = filters.DateFilter(
        field_name="target_date", lookup_expr="lte", help_text=_("Target date on or before.")
    )

    class Meta:
        model = Goal
        fields = ["topic"]

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_municipality(self, queryset, name, value):
        return queryset.filter(
            Exists(GoalEndorsement.objects.filter(goal_id=OuterRef("pk"), municipality=value))
        )


class GoalViewSet(VersionedMixin, ServiceWritesMixin, viewsets.ModelViewSet):
    """Concrete, dated objectives under topics, with the municipalities' positions and the
    progress trail. The coordinator creates and changes them; the owner records progress.

    DELETE is for a goal created by mistake: one with meetings or follow-ups you can see is a
    400 (mark it dropped instead); one that only records hidden from you use leaves every list
    while those records keep it: the same 204 as an unused one.
    """

    serializer_class = GoalSerializer
    input_serializer_class = GoalInputSerializer
    filterset_class = GoalFilter
    ordering = ("target_date", "id")
    ordering_fields = ("target_date", "title", "created_at", "id")
    action_rules = {
        "create": rules.can_edit_topics_and_goals,
        "update": rules.can_edit_topics_and_goals,
        "partial_update": rules.can_edit_topics_and_goals,
        "destroy": rules.can_edit_topics_and_goals,
    }
    object_rules = {"progress": rules.can_record_goal_progress}

    def get_queryset(self):
        goals = Goal.objects.all()
        if self.action == "list":
            return goals.for_list(self.request.user)
        return goals.for_detail(self.request.user)

    def get_serializer_class(self):
        return GoalSerializer if self.action == "list" else GoalDetailSerializer

    def get_input_serializer_class(self):
        return GoalCreateSerializer if self.action == "create" else GoalInputSerializer

    @extend_schema(request=GoalCreateSerializer, responses={201: GoalDetailSerializer})
    def create(self, request):
        goal = services.create_goal(by=request.user, **self.validated_input(request.data))
        return self.respond(goal, status.HTTP_201_CREATED)

    @extend_schema(request=GoalInputSerializer, responses=GoalDetailSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        goal = self.get_object()
        precondition = self.get_precondition(request, goal)
        data = self.validated_input(request.data, instance=goal, partial=partial)
        goal = self.versioned_write(
            precondition,
            lambda: services.update_goal(
                goal=goal, by=request.user, expected_version=precondition.version, **data
            ),
        )
        return self.respond(goal)

    @extend_schema(request=GoalInputSerializer, responses=GoalDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.delete_goal(goal=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ProgressInputSerializer, responses=GoalDetailSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def progress(self, request, pk=None):
        """Move the goal's status or progress; adds an entry to its progress trail."""
        goal = self.get_object()
        data = self.validated_input(
            request.data, serializer_class=ProgressInputSerializer, keep_version=True
        )
        services.record_goal_progress(
            goal=goal, by=request.user, expected_version=data.pop("version", None), **data
        )
        return self.respond(goal)

    @extend_schema(request=EndorsementInputSerializer, responses=EndorsementSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def endorsements(self, request, pk=None):
        """Record a municipality's position on the goal (replacing its earlier one)."""
        goal = self.get_object()
        data = self.validated_input(request.data, serializer_class=EndorsementInputSerializer)
        endorsement = services.record_endorsement(goal=goal, by=request.user, **data)
        return Response(EndorsementSerializer(endorsement).data)


# --- Meetings --------------------------------------------------------------------------------


class FollowUpBriefSerializer(serializers.ModelSerializer):
    assignee = RefSerializer(read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "description", "assignee", "due_date", "status"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    author = RefSerializer(read_only=True)
    our_participants = RefSerializer(many=True, read_only=True)
    contacts = RefSerializer(many=True, read_only=True)
    organisations = RefSerializer(many=True, read_only=True)
    topics = RefSerializer(many=True, read_only=True)
    goals = GoalRefSerializer(many=True, read_only=True)
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "occurred_at",
            "kind",
            "title",
            "place",
            "notes",
            "outcomes",
            "visibility",
            "author",
            "municipality",
            "our_participants",
            "contacts",
            "organisations",
            "topics",
            "goals",
            "can_edit",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_can_edit(self, meeting: Meeting) -> bool:
        return rules.can_edit_meeting(self.context["request"].user, meeting)


def _user_name(first_name: str, last_name: str, username: str) -> str:
    return f"{first_name} {last_name}".strip() or username  # User.__str__


def _person_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()  # Contact.__str__


def meeting_row(row: dict, zone, can_edit: Callable[[int], bool]) -> dict:
    """A row of `Meeting.objects.list_rows()` as MeetingSerializer writes the meeting;
    `can_edit(author_id)` is the viewer's rules.can_edit_meeting."""
    return {
        "id": row["id"],
        "occurred_at": datetime_text(row["occurred_at"], zone),
        "kind": row["kind"],
        "title": row["title"],
        "place": row["place"],
        "notes": row["notes"],
        "outcomes": row["outcomes"],
        "visibility": row["visibility"],
        "author": {
            "id": row["author_id"],
            "name": _user_name(
                row["author_first_name"], row["author_last_name"], row["author_username"]
            ),
        },
        "municipality": row["municipality_id"],
        "our_participants": [
            {"id": u["id"], "name": _user_name(u["first_name"], u["last_name"], u["username"])}
            for u in row["participants_json"]
        ],
        "contacts": [
            {"id": c["id"], "name": _person_name(c["first_name"], c["last_name"])}
            for c in row["contacts_json"]
        ],
        "organisations": row["organisations_json"],
        "topics": row["topics_json"],
        "goals": row["goals_json"],
        "can_edit": can_edit(row["author_id"]),
        "version": row["version"],
        "created_at": datetime_text(row["created_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }


class MeetingDetailSerializer(MeetingSerializer):
    follow_ups = FollowUpBriefSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "follow_ups"]
        read_only_fields = fields


class NewContactSerializer(serializers.Serializer):
    """A participant met for the first time: created with the meeting."""

    last_name = serializers.CharField(max_length=100)
    first_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    title = serializers.CharField(max_length=200, allow_blank=True, default="")
    organisation = PreloadedPrimaryKeyField(
        queryset=Organisation.objects.all(), allow_null=True, default=None
    )
    email = serializers.EmailField(allow_blank=True, default="")
    phone = PhoneNumberField(allow_blank=True, default="")

    class Meta:
        list_serializer_class = PreloadingListSerializer  # the organisations in one query


class NewFollowUpSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=5000)
    assignee = PreloadedPrimaryKeyField(queryset=User.objects.all())
    due_date = serializers.DateField()

    class Meta:
        list_serializer_class = PreloadingListSerializer  # the assignees in one query


MEETING_FIELDS = ["occurred_at", "kind", "title", "place", "notes", "outcomes", "visibility"]


class MeetingCreateSerializer(serializers.ModelSerializer):
    """A whole meeting in one request: participants, topics and goals, and follow-ups."""

    occurred_at = serializers.DateTimeField(required=False)
    # The contacts' organisations and the goals' topics come along: the meeting links them,
    # and the response shows them without another query.
    contacts = PrimaryKeysField(
        queryset=Contact.objects.select_related("organisation"),
        required=False,
        help_text=_("Existing contacts' ids."),
    )
    new_contacts = NewContactSerializer(many=True, required=False, max_length=50)
    our_participants = PrimaryKeysField(
        queryset=User.objects.all(),
        required=False,
        help_text=_("Users who took part; you are one of them anyway."),
    )
    organisations = PrimaryKeysField(queryset=Organisation.objects.all(), required=False)
    topics = PrimaryKeysField(queryset=Topic.objects.all(), required=False)
    goals = PrimaryKeysField(queryset=Goal.objects.select_related("topic"), required=False)
    follow_ups = NewFollowUpSerializer(many=True, required=False, max_length=50)

    class Meta:
        model = Meeting
        fields = [
            *MEETING_FIELDS,
            "contacts",
            "new_contacts",
            "our_participants",
            "organisations",
            "topics",
            "goals",
            "follow_ups",
        ]


class MeetingUpdateSerializer(serializers.ModelSerializer):
    """A meeting's fields; each list given replaces that set of links."""

    contacts = PrimaryKeysField(queryset=Contact.objects.all(), required=False)
    our_participants = PrimaryKeysField(queryset=User.objects.all(), required=False)
    organisations = PrimaryKeysField(queryset=Organisation.objects.all(), required=False)
    topics = PrimaryKeysField(queryset=Topic.objects.all(), required=False)
    goals = PrimaryKeysField(queryset=Goal.objects.all(), required=False)
    version = VersionField()

    class Meta:
        model = Meeting
        fields = [
            *MEETING_FIELDS,
            "contacts",
            "our_participants",
            "organisations",
            "topics",
            "goals",
            "version",
        ]


class MeetingFilter(SearchFilterSet):
    search = search_filter()
    municipality = filters.ModelChoiceFilter(queryset=Municipality.objects.all())
    topic = filters.ModelChoiceFilter(queryset=Topic.objects.all(), field_name="topics")
    goal = filters.ModelChoiceFilter(queryset=Goal.objects.all(), field_name="goals")
    organisation = filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), field_name="organisations"
    )
    contact = filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), method="filter_contact", help_text=_("A participant.")
    )
    network = filters.ModelChoiceFilter(
        queryset=Network.objects.all(),
        method="filter_network",
        help_text=_("Meetings with a member of the network (a contact or organisation)."),
    )
    participant = UserOrMeFilter(
        field_name="our_participants", help_text=_('One of our participants: user id or "me".')
    )
    author = UserOrMeFilter(field_name="author", help_text=_('User id or "me".'))
    kind = ChoicesFilter(choices=MeetingKind.choices)
    visibility = ChoicesFilter(choices=Visibility.choices)
    date_after = filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        help_text=_("On or after this day (Finnish time)."),
    )
    date_before = filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        help_text=_("On or before this day (Finnish time)."),
    )

    class Meta:
        model = Meeting
        fields = []

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_contact(self, queryset, name, value):
        return queryset.with_contact(value)

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_network(self, queryset, name, value):
        contact_members = NetworkMembership.objects.filter(
            network=value, contact__isnull=False
        ).values("contact_id")
        organisation_members = NetworkMembership.objects.filter(
            network=value, organisation__isnull=False
        ).values("organisation_id")
        return queryset.filter(
            Exists(
                Meeting.contacts.through.objects.filter(
                    meeting_id=OuterRef("pk"), contact_id__in=contact_members
                )
            )
            | Exists(
                Meeting.organisations.through.objects.filter(
                    meeting_id=OuterRef("pk"), organisation_id__in=organisation_members
                )
            )
        )


class MeetingViewSet(VersionedMixin, RowReadMixin, ServiceWritesMixin, viewsets.ModelViewSet):
    """Meetings, calls, messages and events, and what came of them. Only the meetings you may
    see exist for you: any other is a 404, and no list, filter, search or count reveals it."""

    serializer_class = MeetingSerializer
    input_serializer_class = MeetingUpdateSerializer
    filterset_class = MeetingFilter
    pagination_class = CursorPagination
    ordering = ("-occurred_at", "-id")
    ordering_fields = ("occurred_at", "created_at", "id")
    action_rules = {"create": rules.can_log_meetings}
    object_rules = {
        "update": rules.can_edit_meeting,
        "partial_update": rules.can_edit_meeting,
        "destroy": rules.can_delete_meeting,
    }

    # Built once per process (config.api.prebuilt); each request's copy is scoped to the user.
    list_rows = staticmethod(prebuilt(lambda: Meeting.objects.list_rows()))

    def get_queryset(self):
        if self.action == "list":
            return self.list_rows().visible_to(self.request.user)
        return Meeting.objects.visible_to(self.request.user).for_detail()

    def row_representer(self, zone):
        user = self.request.user

        @functools.cache  # the rule depends only on the author: asked once per author
        def can_edit(author_id: int) -> bool:
            return rules.can_edit_meeting(user, Meeting(author_id=author_id))

        return lambda row: meeting_row(row, zone, can_edit)

    def get_serializer_class(self):
        return MeetingSerializer if self.action == "list" else MeetingDetailSerializer

    def get_input_serializer_class(self):
        return MeetingCreateSerializer if self.action == "create" else MeetingUpdateSerializer

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request):
        """Log a whole meeting: its participants (existing or new contacts), topics and
        goals, and its follow-ups, all or nothing."""
        data = self.validated_input(request.data)
        new_contacts = [services.NewContact(**spec) for spec in data.pop("new_contacts", [])]
        follow_ups = [services.NewFollowUp(**spec) for spec in data.pop("follow_ups", [])]
        meeting = services.log_meeting(
            author=request.user,
            new_contacts=new_contacts,
            follow_ups=follow_ups,
            hold_links=True,
            **data,
        )
        # The meeting comes back with its links in hand, and its author sees it: no need to
        # read it again.
        return self.respond(meeting, status.HTTP_201_CREATED, reread=False)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        meeting = self.get_object()
        precondition = self.get_precondition(request, meeting)
        data = self.validated_input(request.data, instance=meeting, partial=partial)
        meeting = self.versioned_write(
            precondition,
            lambda: services.update_meeting(
                meeting=meeting, by=request.user, expected_version=precondition.version, **data
            ),
        )
        return self.respond(meeting)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.delete_meeting(meeting=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Follow-ups ------------------------------------------------------------------------------


class MeetingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


@extend_schema_field(MeetingRefSerializer(allow_null=True))
class MeetingRefField(serializers.Field):
    """The follow-up's meeting in brief, or null when the caller may not see that meeting
    (one's own follow-up from a restricted meeting one was not at)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, follow_up: FollowUp):
        if follow_up.meeting_id is None or not follow_up.meeting_visible:
            return None
        return {"id": follow_up.meeting_id, "title": follow_up.meeting.title}


class FollowUpSerializer(serializers.ModelSerializer):
    meeting = MeetingRefField()
    goal = GoalRefSerializer(read_only=True, allow_null=True)
    assignee = RefSerializer(read_only=True)
    created_by = RefSerializer(read_only=True, allow_null=True)
    completed_by = RefSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    can_edit = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "description",
            "meeting",
            "goal",
            "assignee",
            "due_date",
            "status",
            "is_overdue",
            "completion_note",
            "completed_at",
            "completed_by",
            "created_by",
            "can_edit",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_can_edit(self, follow_up: FollowUp) -> bool:
        return rules.can_edit_follow_up(self.context["request"].user, follow_up)


def _user_ref(row: dict, role: str) -> dict | None:
    user_id = row[f"{role}_id"]
    if user_id is None:
        return None
    return {
        "id": user_id,
        "name": _user_name(
            row[f"{role}_first_name"], row[f"{role}_last_name"], row[f"{role}_username"]
        ),
    }


def follow_up_row(row: dict, zone, today, can_edit: Callable[[dict], bool]) -> dict:
    """A row of `FollowUp.objects.list_rows()` (with `meeting_visible`) as FollowUpSerializer
    writes the follow-up; `can_edit(row)` is the viewer's rules.can_edit_follow_up."""
    meeting_id, goal_id = row["meeting_id"], row["goal_id"]
    is_open = row["status"] == FollowUpStatus.OPEN
    return {
        "id": row["id"],
        "description": row["description"],
        "meeting": {"id": meeting_id, "title": row["meeting_title"]}
        if meeting_id is not None and row["meeting_visible"]
        else None,
        "goal": None if goal_id is None else {"id": goal_id, "title": row["goal_title"]},
        "assignee": _user_ref(row, "assignee"),
        "due_date": row["due_date"].isoformat(),
        "status": row["status"],
        "is_overdue": is_open and row["due_date"] < today,  # FollowUp.is_overdue
        "completion_note": row["completion_note"],
        "completed_at": datetime_text(row["completed_at"], zone),
        "completed_by": _user_ref(row, "completed_by"),
        "created_by": _user_ref(row, "created_by"),
        "can_edit": can_edit(row),
        "version": row["version"],
        "created_at": datetime_text(row["created_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }


class FollowUpCreateSerializer(serializers.ModelSerializer):
    meeting = ScopedPrimaryKeyField(
        scope=visible_meetings,
        queryset=Meeting.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )

    class Meta:
        model = FollowUp
        fields = ["meeting", "goal", "description", "assignee", "due_date"]


class FollowUpUpdateSerializer(serializers.ModelSerializer):
    version = VersionField()

    class Meta:
        model = FollowUp
        fields = ["description", "assignee", "due_date", "version"]


class FollowUpCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    version = VersionField()


class FollowUpFilter(SearchFilterSet):
    search = search_filter()
    status = ChoicesFilter(choices=FollowUpStatus.choices)
    assignee = UserOrMeFilter(field_name="assignee", help_text=_('User id or "me".'))
    created_by = UserOrMeFilter(field_name="created_by", help_text=_('User id or "me".'))
    meeting = filters.ModelChoiceFilter(queryset=visible_meetings)
    goal = filters.ModelChoiceFilter(queryset=Goal.objects.all())
    topic = filters.ModelChoiceFilter(
        queryset=Topic.objects.all(),
        method="filter_topic",
        help_text=_("Follow-ups of the topic's goals or of meetings about it."),
    )
    municipality = filters.ModelChoiceFilter(
        queryset=Municipality.objects.all(),
        field_name="meeting__municipality",
        help_text=_("Follow-ups of meetings logged in the municipality."),
    )
    overdue = StrictBooleanFilter(method="filter_overdue", help_text=_("Open and past due."))
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = FollowUp
        fields = []

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_topic(self, queryset, name, value):
        return queryset.filter(Q(goal__topic=value) | Q(meeting__topics=value)).distinct()

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class FollowUpViewSet(
    VersionedMixin,
    RowReadMixin,
    ServiceWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Actions arising from meetings and goals. They are completed or cancelled, not deleted."""

    serializer_class = FollowUpSerializer
    input_serializer_class = FollowUpUpdateSerializer
    filterset_class = FollowUpFilter
    ordering = ("due_date", "id")
    ordering_fields = ("due_date", "created_at", "id")
    action_rules = {"create": rules.can_create_follow_ups}
    object_rules = {
        "update": rules.can_edit_follow_up,
        "partial_update": rules.can_edit_follow_up,
        "complete": rules.can_edit_follow_up,
        "cancel": rules.can_edit_follow_up,
    }

    list_rows = staticmethod(prebuilt(lambda: FollowUp.objects.list_rows()))

    def get_queryset(self):
        user = self.request.user
        follow_ups = self.list_rows() if self.action == "list" else FollowUp.objects.for_list()
        return follow_ups.visible_to(user).with_meeting_visibility(user)

    def row_representer(self, zone):
        user, today = self.request.user, timezone.localdate()

        @functools.cache  # the rule depends only on the assignee and the creator: once per pair
        def may_edit(assignee_id: int, created_by_id: int | None) -> bool:
            follow_up = FollowUp(assignee_id=assignee_id, created_by_id=created_by_id)
            return rules.can_edit_follow_up(user, follow_up)

        def can_edit(row: dict) -> bool:
            return may_edit(row["assignee_id"], row["created_by_id"])

        return lambda row: follow_up_row(row, zone, today, can_edit)

    def get_input_serializer_class(self):
        return FollowUpCreateSerializer if self.action == "create" else FollowUpUpdateSerializer

    @extend_schema(request=FollowUpCreateSerializer, responses={201: FollowUpSerializer})
    def create(self, request):
        follow_up = services.add_follow_up(by=request.user, **self.validated_input(request.data))
        return self.respond(follow_up, status.HTTP_201_CREATED)

    @extend_schema(request=FollowUpUpdateSerializer, responses=FollowUpSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        follow_up = self.get_object()
        precondition = self.get_precondition(request, follow_up)
        data = self.validated_input(request.data, instance=follow_up, partial=partial)
        follow_up = self.versioned_write(
            precondition,
            lambda: services.update_follow_up(
                follow_up=follow_up,
                by=request.user,
                expected_version=precondition.version,
                **data,
            ),
        )
        return self.respond(follow_up)

    @extend_schema(request=FollowUpUpdateSerializer, responses=FollowUpSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def _close(self, request, service):
        follow_up = self.get_object()
        data = self.validated_input(
            request.data, serializer_class=FollowUpCloseSerializer, keep_version=True
        )
        follow_up = service(
            follow_up=follow_up,
            by=request.user,
            note=data["note"],
            expected_version=data.get("version"),
        )
        return self.respond(follow_up)

    @extend_schema(request=FollowUpCloseSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def complete(self, request, pk=None):
        """Mark the follow-up done (with a note); its pending reminders are cancelled."""
        return self._close(request, services.complete_follow_up)

    @extend_schema(request=FollowUpCloseSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        """Cancel the follow-up (with a note); its pending reminders are cancelled."""
        return self._close(request, services.cancel_follow_up)


# --- The caller's reminders and notifications -----------------------------------------------


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "channel",
            "due_at",
            "state",
            "follow_up",
            "contact",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields


class ReminderFilter(FilterSet):
    kind = ChoicesFilter(choices=ReminderKind.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    state = ChoicesFilter(choices=ReminderState.choices)
    due_after = filters.DateFilter(field_name="due_at", lookup_expr="date__gte")
    due_before = filters.DateFilter(field_name="due_at", lookup_expr="date__lte")

    class Meta:
        model = Reminder
        fields = []


class ReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """Your own planned and sent reminders (read only)."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    ordering = ("-due_at", "-id")
    ordering_fields = ("due_at", "id")

    def get_queryset(self):
        return Reminder.objects.filter(recipient_id=self.request.user.pk)


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationFilter(FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = ChoicesFilter(choices=ReminderKind.choices)

    class Meta:
        model = Notification
        fields = []


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(read_only=True)


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your own in-app notifications; mark one or all of them read."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "id")

    def get_queryset(self):
        return Notification.objects.for_user(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def read(self, request, pk=None):
        notification = services.mark_notification_read(
            notification=self.get_object(), by=request.user
        )
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request):
        count = services.mark_all_notifications_read(user=request.user)
        return Response({"marked_read": count})

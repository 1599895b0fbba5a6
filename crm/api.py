"""REST API of the directory: municipalities, users, organisations, contacts, networks, tokens.

Reads start from the model's fetch-shape queryset method (`for_list()` / `for_detail()`);
writes validate with an input serializer and call one service of `crm.services`; permissions
are the rules of `crm.rules` (config.api.ActionRules). The meeting side of a contact (how
often and when the viewer's visible meetings met the person) is added by advocacy.api.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from phonenumber_field.phonenumber import to_python as phone_number
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    MAX_DATABASE_ID,
    ChoicesFilter,
    CursorPagination,
    FilterSet,
    PrimaryKeysField,
    RowReadMixin,
    ServiceWritesMixin,
    StrictBooleanFilter,
    VersionedMixin,
    datetime_text,
    prebuilt,
)
from config.api_auth import ScopedRateThrottle
from config.db.compiled import ID_ARRAY_MARKER, CompiledLookup, in_ids
from config.security import fingerprint, security_event
from crm import rules, services
from crm.models import (
    Contact,
    ContactPosition,
    InfluenceLevel,
    LawfulBasis,
    Municipality,
    Network,
    NetworkKind,
    NetworkMembership,
    Organisation,
    OrganisationKind,
    Role,
    Tag,
    User,
)
from crm.search import text_search_q

# --- Shared filters and fields ---------------------------------------------------------------


class UserOrMeField(forms.Field):
    """A user id, or "me" for the caller."""

    default_error_messages = {
        "invalid": _('Give a user id or "me".'),
        "unknown": _("No such user."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        if value == "me":
            return value
        if not value.isdecimal() or not 0 < int(value) <= MAX_DATABASE_ID:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not User.objects.filter(pk=int(value)).exists():
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return int(value)


@extend_schema_field(OpenApiTypes.STR)
class UserOrMeFilter(filters.Filter):
    """Rows linked to a user through `field_name`: `?assignee=12` or `?assignee=me`."""

    field_class = UserOrMeField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        user_id = self.parent.request.user.pk if value == "me" else value
        return qs.filter(**{self.field_name: user_id})


@extend_schema_field(OpenApiTypes.STR)
class TagFilter(filters.ModelMultipleChoiceFilter):
    """Tags by name (a string each, not an id)."""


def tag_filter() -> TagFilter:
    """`?tags=name&tags=other`: rows with any of the tags (exact names)."""
    return TagFilter(
        field_name="tags__name",
        to_field_name="name",
        queryset=Tag.objects.all(),
        help_text=_("Tag names; rows with any of them."),
    )


def search_filter(help_text=None) -> filters.CharFilter:
    return filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text=help_text or _("Words to find (every word, accent-insensitive)."),
    )


class SearchFilterSet(FilterSet):
    """`?search=` through the model queryset's own `.search(text)`, after the other filters: a
    search may keep only the best matches, which must be those of the filtered rows."""

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        for name, value in data.items():
            if name != "search":
                queryset = self.filters[name].filter(queryset, value)
        if "search" in data:
            queryset = self.filters["search"].filter(queryset, data["search"])
        return queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value) if value else queryset


class TagNamesField(serializers.ListField):
    """Tags as a list of names; unknown names become new tags."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(
            child=serializers.CharField(max_length=Tag._meta.get_field("name").max_length),
            **kwargs,
        )


class RefSerializer(serializers.Serializer):
    """A linked row in brief: its id and name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True, source="__str__")


# --- Municipalities --------------------------------------------------------------------------


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "name", "code", "is_joint_organisation"]


class MunicipalityFilter(FilterSet):
    class Meta:
        model = Municipality
        fields = ["is_joint_organisation"]


class MunicipalityViewSet(viewsets.ReadOnlyModelViewSet):
    """The six municipalities and the joint organisation (read only)."""

    serializer_class = MunicipalitySerializer
    filterset_class = MunicipalityFilter
    ordering = ("is_joint_organisation", "name")
    ordering_fields = ("name", "code")

    def get_queryset(self):
        return Municipality.objects.all()


# --- Users -----------------------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "full_name",
            "email",
            "municipality",
            "role",
            "language",
            "is_active",
        ]
        read_only_fields = fields


class UserFilter(SearchFilterSet):
    search = search_filter()
    role = ChoicesFilter(choices=Role.choices)

    class Meta:
        model = User
        fields = ["municipality", "role", "is_active"]

    def filter_search(self, queryset, name, value):
        condition = text_search_q(value, ["username", "first_name", "last_name", "email"])
        return queryset if condition is None else queryset.filter(condition)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Colleagues in the six municipalities and the joint organisation (read only);
    `users/me/` is the caller. Users are managed in the admin."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering = ("last_name", "first_name", "username")
    ordering_fields = ("last_name", "username", "id")

    def get_queryset(self):
        return User.objects.all()

    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def me(self, request):
        return Response(self.get_serializer(request.user).data)


# --- Tokens ----------------------------------------------------------------------------------


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:  # wrong credentials or a closed account: the same answer
            raise serializers.ValidationError(
                _("Unable to sign in with the given username and password."),
                code="authorization",
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class AuthTokenView(APIView):
    """POST: exchange a username and password for the personal API token (the same token
    until revoked). DELETE: revoke the caller's token."""

    throttle_scope = "auth_token"

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(ScopedRateThrottle())
        return throttles

    @extend_schema(request=TokenCredentialsSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = TokenCredentialsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token = services.issue_api_token(user=user)
        security_event(
            "token_created",
            request,
            user_id=user.pk,
            username=user.get_username(),
            token_fingerprint=fingerprint(token.key),
        )
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        for key in services.revoke_api_token(user=request.user):
            security_event("token_revoked", request, token_fingerprint=fingerprint(key))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Organisations ---------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    contact_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "parent",
            "website",
            "business_id",
            "email",
            "phone",
            "municipality",
            "tags",
            "notes",
            "contact_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrganisationInputSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(required=False, allow_blank=True)
    tags = TagNamesField(required=False)

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "parent",
            "website",
            "business_id",
            "email",
            "phone",
            "municipality",
            "tags",
            "notes",
        ]


class OrganisationFilter(SearchFilterSet):
    search = search_filter(
        _(
            "Words to find (every word, accent-insensitive) in names, business IDs, websites "
            "and notes. Lists only the best matches, best first."
        )
    )
    kind = ChoicesFilter(choices=OrganisationKind.choices)
    tags = tag_filter()
    network = filters.ModelChoiceFilter(
        queryset=Network.objects.all(), method="filter_network", help_text=_("Members of it.")
    )

    class Meta:
        model = Organisation
        fields = ["municipality", "parent"]

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_network(self, queryset, name, value):
        return queryset.filter(
            Exists(NetworkMembership.objects.filter(network=value, organisation_id=OuterRef("pk")))
        )


class OrganisationViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Ministries, agencies, councils, companies and others we deal with."""

    serializer_class = OrganisationSerializer
    input_serializer_class = OrganisationInputSerializer
    filterset_class = OrganisationFilter
    ordering = ("name", "id")
    # ?search= lists the best matches first, at most crm.search.SEARCH_TOP_N of them.
    search_ordering = ("-search_rank", "name", "id")
    ordering_fields = ("name", "created_at", "id")
    action_rules = {
        "create": rules.can_edit_directory,
        "update": rules.can_edit_directory,
        "partial_update": rules.can_edit_directory,
        "destroy": rules.can_delete_directory_entries,
    }

    def get_queryset(self):
        return Organisation.objects.for_list()

    @extend_schema(request=OrganisationInputSerializer, responses={201: OrganisationSerializer})
    def create(self, request):
        data = self.validated_input(request.data)
        organisation = services.create_organisation(by=request.user, **data)
        return self.respond(organisation, status.HTTP_201_CREATED)

    @extend_schema(request=OrganisationInputSerializer, responses=OrganisationSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        organisation = self.get_object()
        data = self.validated_input(request.data, instance=organisation, partial=partial)
        organisation = services.update_organisation(
            organisation=organisation, by=request.user, **data
        )
        return self.respond(organisation)

    @extend_schema(request=OrganisationInputSerializer, responses=OrganisationSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.delete_organisation(organisation=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Contacts --------------------------------------------------------------------------------


class PositionSerializer(serializers.ModelSerializer):
    organisation = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ContactPosition
        fields = ["id", "title", "organisation", "start_date", "end_date", "is_current"]
        read_only_fields = fields


class ContactMembershipSerializer(serializers.ModelSerializer):
    network = RefSerializer(read_only=True)

    class Meta:
        model = NetworkMembership
        fields = ["id", "network", "role", "since"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    organisation = RefSerializer(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    relationship_owners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    archived = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "title",
            "organisation",
            "municipality",
            "email",
            "secondary_email",
            "phone",
            "mobile_phone",
            "is_decision_maker",
            "influence_level",
            "stale_after_days",
            "relationship_owners",
            "tags",
            "notes",
            "lawful_basis",
            "archived",
            "archived_at",
            "anonymised_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_archived(self, contact: Contact) -> bool:
        return contact.archived_at is not None


@functools.lru_cache(maxsize=4096)
def phone_text(stored: str) -> str:
    """A phone number as stored (E.164) in the form the API writes it: the model field's
    PhoneNumber as text (PHONENUMBER_DEFAULT_FORMAT). Parsing and formatting cost more than the
    rest of a list row together, and the same numbers come back page after page."""
    return str(phone_number(stored)) if stored else stored


def contact_row(row: dict[str, Any], zone) -> dict[str, Any]:
    """A row of `Contact.objects.list_rows()` as ContactSerializer writes the contact."""
    first_name, last_name = row["first_name"], row["last_name"]
    organisation_id = row["organisation_id"]
    return {
        "id": row["id"],
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}".strip(),  # Contact.full_name
        "title": row["title"],
        "organisation": None
        if organisation_id is None
        else {"id": organisation_id, "name": row["organisation_name"]},
        "municipality": row["municipality_id"],
        "email": row["email"],
        "secondary_email": row["secondary_email"],
        "phone": phone_text(row["phone_stored"]),
        "mobile_phone": phone_text(row["mobile_phone_stored"]),
        "is_decision_maker": row["is_decision_maker"],
        "influence_level": row["influence_level"],
        "stale_after_days": row["stale_after_days"],
        "relationship_owners": row["owner_ids"],
        "tags": row["tag_names"],
        "notes": row["notes"],
        "lawful_basis": row["lawful_basis"],
        "archived": row["archived_at"] is not None,
        "archived_at": datetime_text(row["archived_at"], zone),
        "anonymised_at": datetime_text(row["anonymised_at"], zone),
        "version": row["version"],
        "created_at": datetime_text(row["created_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }


def contact_detail_row(row: dict[str, Any], zone, today: str) -> dict[str, Any]:
    """A row of `Contact.objects.detail_rows()` as ContactDetailSerializer writes the contact;
    `today` is the local date in ISO form (dates come as ISO text from the JSON arrays)."""
    data = contact_row(row, zone)
    data["positions"] = [
        {
            "id": position["id"],
            "title": position["title"],
            "organisation": None
            if position["organisation_id"] is None
            else {"id": position["organisation_id"], "name": position["organisation_name"]},
            "start_date": position["start_date"],
            "end_date": position["end_date"],
            # ContactPosition.is_current
            "is_current": position["end_date"] is None or position["end_date"] >= today,
        }
        for position in row["positions_json"]
    ]
    data["memberships"] = [
        {
            "id": membership["id"],
            "network": {"id": membership["network_id"], "name": membership["network_name"]},
            "role": membership["role"],
            "since": membership["since"],
        }
        for membership in row["memberships_json"]
    ]
    return data


class ContactDetailSerializer(ContactSerializer):
    positions = PositionSerializer(many=True, read_only=True)
    memberships = ContactMembershipSerializer(many=True, read_only=True)

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "positions", "memberships"]
        read_only_fields = fields


class ContactInputSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(required=False, allow_blank=True)
    mobile_phone = PhoneNumberField(required=False, allow_blank=True)
    tags = TagNamesField(required=False)
    relationship_owners = PrimaryKeysField(queryset=User.objects.all(), required=False)
    archived = serializers.BooleanField(required=False)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("For updates without If-Match: the version you last read."),
    )

    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "title",
            "organisation",
            "municipality",
            "email",
            "secondary_email",
            "phone",
            "mobile_phone",
            "is_decision_maker",
            "influence_level",
            "stale_after_days",
            "relationship_owners",
            "tags",
            "notes",
            "lawful_basis",
            "archived",
            "version",
        ]


class ContactCreateSerializer(ContactInputSerializer):
    version = None
    archived = None

    class Meta(ContactInputSerializer.Meta):
        fields = [f for f in ContactInputSerializer.Meta.fields if f not in ("version", "archived")]


# The orderings of the contacts list (`?ordering=`); the default is the first with the id.
CONTACT_ORDERING_FIELDS = ("last_name", "created_at", "id")


class ContactFilter(SearchFilterSet):
    search = search_filter(
        _(
            "Words to find (every word, accent-insensitive) in names, titles, e-mail addresses, "
            "notes and organisations. Lists only the best matches, best first."
        )
    )
    tags = tag_filter()
    influence_level = ChoicesFilter(choices=InfluenceLevel.choices)
    lawful_basis = filters.ChoiceFilter(choices=LawfulBasis.choices)
    archived = StrictBooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)
    anonymised = StrictBooleanFilter(field_name="anonymised_at", lookup_expr="isnull", exclude=True)
    owner = UserOrMeFilter(field_name="relationship_owners", help_text=_('User id or "me".'))
    network = filters.ModelChoiceFilter(
        queryset=Network.objects.all(), method="filter_network", help_text=_("Members of it.")
    )

    class Meta:
        model = Contact
        fields = ["municipality", "organisation", "is_decision_maker"]

    @extend_schema_field(OpenApiTypes.INT)  # an id
    def filter_network(self, queryset, name, value):
        return queryset.filter(
            Exists(NetworkMembership.objects.filter(network=value, contact_id=OuterRef("pk")))
        )


class ContactViewSet(VersionedMixin, RowReadMixin, ServiceWritesMixin, viewsets.ModelViewSet):
    """People we influence or work with. DELETE anonymises the person (identity removed,
    meeting records kept); it does not remove the row."""

    serializer_class = ContactSerializer
    input_serializer_class = ContactInputSerializer
    filterset_class = ContactFilter
    pagination_class = CursorPagination
    ordering = ("last_name", "id")
    # ?search= lists the best matches first, at most crm.search.SEARCH_TOP_N of them.
    search_ordering = ("-search_rank", "last_name", "id")
    ordering_fields = CONTACT_ORDERING_FIELDS
    action_rules = {
        "create": rules.can_edit_directory,
        "update": rules.can_edit_directory,
        "partial_update": rules.can_edit_directory,
        "destroy": rules.can_anonymise_contacts,
    }

    row_actions = ("list", "retrieve")

    # Built once per process (config.api.prebuilt); compiled once per process (CompiledLookup).
    detail_rows = staticmethod(prebuilt(lambda: Contact.objects.detail_rows()))
    row_lookup = CompiledLookup(lambda pk: Contact.objects.detail_rows().filter(pk=pk), marker=-1)
    page_lookup = CompiledLookup(
        lambda ids: Contact.objects.list_rows().filter(pk__in=in_ids(ids)).order_by(),
        marker=ID_ARRAY_MARKER,
    )

    def get_queryset(self):
        if self.action == "list":
            # The page's keys (the id among them): the rows are read by page_lookup
            # (RowReadMixin.page_rows).
            return Contact.objects.values(*CONTACT_ORDERING_FIELDS)
        return self.detail_rows() if self.action == "retrieve" else Contact.objects.for_detail()

    def row_representer(self, zone) -> Callable[[dict[str, Any]], dict[str, Any]]:
        if self.action == "list":
            return lambda row: contact_row(row, zone)
        today = timezone.localdate().isoformat()
        return lambda row: contact_detail_row(row, zone, today)

    def get_serializer_class(self):
        return ContactSerializer if self.action == "list" else ContactDetailSerializer

    def get_input_serializer_class(self):
        return ContactCreateSerializer if self.action == "create" else ContactInputSerializer

    @extend_schema(request=ContactCreateSerializer, responses={201: ContactDetailSerializer})
    def create(self, request):
        data = self.validated_input(request.data)
        contact = services.create_contact(by=request.user, **data)
        return self.respond(contact, status.HTTP_201_CREATED)

    @extend_schema(request=ContactInputSerializer, responses=ContactDetailSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        contact = self.get_object()
        precondition = self.get_precondition(request, contact)
        data = self.validated_input(request.data, instance=contact, partial=partial)
        contact = self.versioned_write(
            precondition,
            lambda: services.update_contact(
                contact=contact,
                by=request.user,
                expected_version=precondition.version,
                **data,
            ),
        )
        return self.respond(contact)

    @extend_schema(request=ContactInputSerializer, responses=ContactDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.anonymise_contact(contact=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Networks --------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    contact = RefSerializer(read_only=True, allow_null=True)
    organisation = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = NetworkMembership
        fields = ["id", "contact", "organisation", "role", "since"]
        read_only_fields = fields


class MemberInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = NetworkMembership
        fields = ["contact", "organisation", "role", "since"]
        # The one-membership-per-network rule is the model's; the service checks it.
        validators = []


class MemberChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = NetworkMembership
        fields = ["role", "since"]


class NetworkSerializer(serializers.ModelSerializer):
    owner = RefSerializer(read_only=True, allow_null=True)
    members = MemberSerializer(many=True, read_only=True, source="memberships")

    class Meta:
        model = Network
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "owner",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class NetworkInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["name", "kind", "description", "owner"]


class NetworkFilter(SearchFilterSet):
    search = search_filter()
    kind = ChoicesFilter(choices=NetworkKind.choices)
    owner = UserOrMeFilter(field_name="owner", help_text=_('User id or "me".'))
    contact = filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), field_name="memberships__contact"
    )
    organisation = filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), field_name="memberships__organisation"
    )

    class Meta:
        model = Network
        fields = []


class NetworkViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Named groups of contacts and organisations, with their members."""

    serializer_class = NetworkSerializer
    input_serializer_class = NetworkInputSerializer
    filterset_class = NetworkFilter
    ordering = ("name", "id")
    ordering_fields = ("name", "created_at", "id")
    action_rules = {
        "create": rules.can_edit_directory,
        "update": rules.can_edit_directory,
        "partial_update": rules.can_edit_directory,
        "destroy": rules.can_delete_directory_entries,
        "members": rules.can_edit_directory,
        "member": rules.can_edit_directory,
    }

    def get_queryset(self):
        return Network.objects.for_list()

    @extend_schema(request=NetworkInputSerializer, responses={201: NetworkSerializer})
    def create(self, request):
        network = services.create_network(by=request.user, **self.validated_input(request.data))
        return self.respond(network, status.HTTP_201_CREATED)

    @extend_schema(request=NetworkInputSerializer, responses=NetworkSerializer)
    def update(self, request, *args, partial=False, **kwargs):
        network = self.get_object()
        data = self.validated_input(request.data, instance=network, partial=partial)
        network = services.update_network(network=network, by=request.user, **data)
        return self.respond(network)

    @extend_schema(request=NetworkInputSerializer, responses=NetworkSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.delete_network(network=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MemberInputSerializer, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def members(self, request, pk=None):
        """Add a contact or an organisation to the network."""
        network = self.get_object()
        data = self.validated_input(request.data, serializer_class=MemberInputSerializer)
        membership = services.add_network_member(network=network, by=request.user, **data)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"], request=MemberChangeSerializer, responses={200: MemberSerializer}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"members/(?P<member_id>\d+)",
        filterset_class=None,
    )
    def member(self, request, pk=None, member_id=None):
        """Change a member's role or start date, or remove the member."""
        network = self.get_object()
        membership = network.memberships.filter(pk=member_id).first()
        if membership is None:
            raise NotFound()
        if request.method == "DELETE":
            services.remove_network_member(membership=membership, by=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = self.validated_input(
            request.data, partial=True, serializer_class=MemberChangeSerializer
        )
        membership = services.update_network_member(membership=membership, by=request.user, **data)
        return Response(MemberSerializer(membership).data)

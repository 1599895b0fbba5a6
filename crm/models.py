"""WHO: municipalities, users and roles, organisations, contacts, networks, tags."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, TextField
from django.db.models.functions import Cast, Coalesce, JSONObject, Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from crm.history import tracked
from crm.ranked_search import (
    fuzzy_name_match,
    name_tier_ids,
    top_matches,
)
from crm.search import (
    document_contains,
    name_key_index,
    text_search_q,
    trigram_index,
)
from crm.validators import normalise_business_id, validate_business_id


class Municipality(models.Model):
    """One of the six, or the joint organisation (SavoGrow) itself."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # Statistics Finland's three-digit municipality code; the joint organisation has none.
    code = models.CharField(
        _("municipality code"), max_length=3, unique=True, null=True, blank=True
    )
    is_joint_organisation = models.BooleanField(_("joint organisation"), default=False)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["is_joint_organisation", "name"]
        constraints = [
            # code IS NOT NULL spelled out: a CHECK passes when its condition is NULL.
            models.CheckConstraint(
                condition=Q(is_joint_organisation=True)
                | Q(code__isnull=False, code__regex=r"^[0-9]{3}$"),
                name="municipality_code_three_digits",
                violation_error_message=_("A municipality needs a three-digit code."),
            ),
            models.UniqueConstraint(
                fields=["is_joint_organisation"],
                condition=Q(is_joint_organisation=True),
                name="municipality_one_joint_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    TRUSTEE = "trustee", _("elected official")
    STAFF = "staff", _("staff")
    COORDINATOR = "coordinator", _("coordinator")
    ADMIN = "admin", _("administrator")


class Language(models.TextChoices):
    FINNISH = "fi", _("Finnish")
    ENGLISH = "en", _("English")


# Passwords and sign-in times are not history: they would put secrets in the history table.
@tracked(exclude=["password", "last_login"])
class User(AbstractUser):
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,  # users are moved, not deleted with their municipality
        related_name="users",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FINNISH
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="user_language_valid"
            ),
        ]
        indexes = [models.Index(fields=["municipality", "role"], name="user_municipality_role")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    MINISTRY = "ministry", _("ministry")
    AGENCY = "agency", _("government agency")
    REGIONAL_COUNCIL = "regional_council", _("regional council")
    WELLBEING_COUNTY = "wellbeing_county", _("wellbeing services county")
    PARLIAMENT = "parliament", _("parliament")
    PARTY = "party", _("political party")
    COMPANY = "company", _("company")
    ASSOCIATION = "association", _("association")
    MEDIA = "media", _("media")
    MUNICIPALITY = "municipality", _("municipality")
    OTHER = "other", _("other")


# The columns of each trigram-indexed search expression (crm.search.trigram_index).
ORGANISATION_SEARCH_FIELDS = ("name", "business_id", "website", "notes")
CONTACT_NAME_FIELDS = ("first_name", "last_name")
# The names a search word may begin, best first (each has a crm.search.name_key_index).
CONTACT_PREFIX_FIELDS = ("last_name", "first_name")
CONTACT_DETAIL_FIELDS = ("title", "email", "notes")


class OrganisationQuerySet(models.QuerySet):
    def search(self, text: str) -> OrganisationQuerySet:
        """The best matches (at most crm.search.SEARCH_TOP_N) among these organisations for
        `text`: those whose name, business ID, website or notes contain every word of it,
        accent-insensitively, or whose name is similar to a word (a misspelling).

        Best first (`search_rank`): the name begins with the query's longest word, then the
        name contains it, then only the other fields do (crm.ranked_search.top_matches).
        Search last, after the other filters."""
        return top_matches(
            self,
            text,
            prefix_fields=("name",),
            name_fields=("name",),
            term_matches=lambda term: document_contains(ORGANISATION_SEARCH_FIELDS, term),
            other_matches=self._other_matches,
        ).order_by("-search_rank", "name", "id")

    @staticmethod
    def _other_matches(term: str, similar: bool = False) -> list[Q]:
        """A word outside the name (business ID, website, notes: `organisation_search_trgm`)
        and, with `similar`, a name similar to it (`organisation_name_trgm`)."""
        matches = [document_contains(ORGANISATION_SEARCH_FIELDS, term)]
        if similar:
            matches.append(fuzzy_name_match(term, ["name"]))
        return matches

    def top_name_ids(self, term: str) -> list[int]:
        """Ids of the organisations whose names best match `term` (already unaccented), at
        most crm.search.SEARCH_TOP_N (crm.ranked_search.name_tier_ids). One query."""
        return name_tier_ids(
            self.order_by().values_list("pk", flat=True),
            term,
            prefix_fields=("name",),
            name_fields=("name",),
        )

    def name_contains(self, term: str) -> OrganisationQuerySet:
        """Organisations whose name contains `term` (unaccented): index `organisation_name_trgm`."""
        return self.filter(document_contains(["name"], term))

    def for_list(self) -> OrganisationQuerySet:
        """Lists and details: municipality and tags fetched along, contacts counted.

        The count is a subquery per row, not a join and GROUP BY: a search (or any other
        filter) then reads organisations alone, and PostgreSQL counts for the rows shown."""
        counts = (
            Contact.objects.filter(organisation=OuterRef("pk"))
            .order_by()
            .values("organisation")
            .annotate(n=Count("*"))
            .values("n")
        )
        return (
            self.select_related("municipality", "parent")
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
            .annotate(contact_count=Coalesce(Subquery(counts), 0))
        )


@tracked()
class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=30, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.SET_NULL,  # a unit survives its parent's removal as a top-level one
        null=True,
        blank=True,
        related_name="children",
    )
    website = models.URLField(_("website"), blank=True)
    business_id = models.CharField(
        _("business ID"),
        max_length=9,
        blank=True,
        validators=[validate_business_id],
        help_text=_("Finnish business ID (Y-tunnus), e.g. 1234567-8."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("located in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organisations",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="organisations"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["business_id"],
                condition=~Q(business_id=""),
                name="organisation_business_id_unique",
                violation_error_message=_("An organisation with this business ID already exists."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="organisation_not_own_parent"
            ),
        ]
        indexes = [
            # The names that begin with a searched word, in order (crm.ranked_search.top_matches).
            name_key_index("name", name="organisation_name_key"),
            models.Index(fields=["municipality", "kind"], name="organisation_municipality_kind"),
            models.Index(Upper("name"), name="organisation_name_upper"),
            trigram_index("name", name="organisation_name_trgm"),
            trigram_index(*ORGANISATION_SEARCH_FIELDS, name="organisation_search_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # One spelling per business ID, or "02012566" would slip past the unique constraint.
        self.business_id = normalise_business_id(self.business_id)


class InfluenceLevel(models.IntegerChoices):
    LOW = 1, _("low")
    MEDIUM = 2, _("medium")
    HIGH = 3, _("high")
    KEY = 4, _("key decision-maker")


class LawfulBasis(models.TextChoices):
    PUBLIC_TASK = "public_task", _("public task")
    LEGITIMATE_INTEREST = "legitimate_interest", _("legitimate interest")
    CONSENT = "consent", _("consent")
    LEGAL_OBLIGATION = "legal_obligation", _("legal obligation")


class RegisterRole(models.TextChoices):
    """How the Finnish transparency register names a lobbying target (Act 430/2023).

    MPs, ministers, state secretaries, ministers' special advisers and top officials are named
    in person; anyone else is reported by organisation, department and unit.
    """

    MP = "mp", _("member of parliament")
    MINISTER = "minister", _("minister")
    STATE_SECRETARY = "state_secretary", _("state secretary")
    SPECIAL_ADVISER = "special_adviser", _("minister's special adviser")
    TOP_OFFICIAL = "top_official", _("top official")
    OTHER = "other", _("other (reported by organisation)")


NAMED_REGISTER_ROLES = frozenset(
    {
        RegisterRole.MP,
        RegisterRole.MINISTER,
        RegisterRole.STATE_SECRETARY,
        RegisterRole.SPECIAL_ADVISER,
        RegisterRole.TOP_OFFICIAL,
    }
)


# The plain columns of a contacts list row (ContactQuerySet.list_rows).
CONTACT_ROW_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "title",
    "organisation_id",
    "municipality_id",
    "email",
    "secondary_email",
    "is_decision_maker",
    "influence_level",
    "stale_after_days",
    "notes",
    "lawful_basis",
    "archived_at",
    "anonymised_at",
    "version",
    "created_at",
    "updated_at",
)


class ContactQuerySet(models.QuerySet):
    def active(self) -> ContactQuerySet:
        return self.filter(archived_at__isnull=True, anonymised_at__isnull=True)

    def decision_makers(self) -> ContactQuerySet:
        return self.filter(is_decision_maker=True)

    def not_met_since(self, moment) -> ContactQuerySet:
        return self.filter(Q(last_interaction_at__lt=moment) | Q(last_interaction_at__isnull=True))

    def for_list(self) -> ContactQuerySet:
        return self.select_related("organisation", "municipality").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id", "name")),
            # Names too: the contact page shows the owners.
            Prefetch(
                "relationship_owners",
                queryset=User.objects.only("id", "username", "first_name", "last_name"),
            ),
        )

    def list_rows(self) -> ContactQuerySet:
        """The contacts list's read path: a dict per contact, in one query and without model
        instances (`crm.api.contact_row`). The organisation's name is joined; the tag names and
        the relationship owners' ids come as arrays, in the orders their models give; the phone
        numbers come as stored (E.164), untouched by the model field's parsing."""
        owners = User.objects.filter(owned_contacts=OuterRef("pk")).order_by(*User._meta.ordering)
        return self.values(
            *CONTACT_ROW_FIELDS,
            organisation_name=models.F("organisation__name"),
            phone_stored=Cast("phone", TextField()),
            mobile_phone_stored=Cast("mobile_phone", TextField()),
            tag_names=ArraySubquery(
                Tag.objects.filter(contacts=OuterRef("pk")).order_by("name").values("name")
            ),
            owner_ids=ArraySubquery(owners.values("pk")),
        )

    def detail_rows(self) -> ContactQuerySet:
        """One contact's read path (`crm.api.contact_detail_row`): the list row, with the
        positions and network memberships as arrays of small JSON objects — one query."""
        positions = (
            ContactPosition.objects.filter(contact=OuterRef("pk"))
            .order_by("-start_date", "-id")
            .values(
                json=JSONObject(
                    id="id",
                    title="title",
                    organisation_id="organisation_id",
                    organisation_name="organisation__name",
                    start_date="start_date",
                    end_date="end_date",
                )
            )
        )
        memberships = (
            NetworkMembership.objects.filter(contact=OuterRef("pk"))
            .order_by("network__name", "id")
            .values(
                json=JSONObject(
                    id="id",
                    network_id="network_id",
                    network_name="network__name",
                    role="role",
                    since="since",
                )
            )
        )
        return self.list_rows().annotate(
            positions_json=ArraySubquery(positions), memberships_json=ArraySubquery(memberships)
        )

    def for_detail(self) -> ContactQuerySet:
        """One contact's page: its positions and network memberships too."""
        return self.for_list().prefetch_related(
            Prefetch(
                "positions",
                queryset=ContactPosition.objects.select_related("organisation").order_by(
                    "-start_date", "-id"
                ),
            ),
            Prefetch(
                "memberships",
                queryset=NetworkMembership.objects.select_related("network").order_by(
                    "network__name", "id"
                ),
            ),
        )

    def search(self, text: str) -> ContactQuerySet:
        """The best matches (at most crm.search.SEARCH_TOP_N) among these contacts for `text`:
        contacts whose name, title, e-mail, organisation or notes contain every word of it,
        accent-insensitively, or whose name is similar to a word (a misspelling).

        Best first (`search_rank`): the last name begins with the query's longest word, then
        the first name does, then the name contains it, then only the other fields or the
        organisation do (crm.ranked_search.top_matches). Search last, after the other filters:
        the best matches are those of this queryset."""
        return top_matches(
            self,
            text,
            prefix_fields=CONTACT_PREFIX_FIELDS,
            name_fields=CONTACT_NAME_FIELDS,
            term_matches=self._term_matches,
            other_matches=self._other_matches,
        ).order_by("-search_rank", "last_name", "first_name", "id")

    def top_name_ids(self, term: str) -> list[int]:
        """Ids of the contacts whose names best match `term` (already unaccented), at most
        crm.search.SEARCH_TOP_N: the names beginning with it first, then those containing it
        (crm.ranked_search.name_tier_ids). One query."""
        return name_tier_ids(
            self.order_by().values_list("pk", flat=True),
            term,
            prefix_fields=CONTACT_PREFIX_FIELDS,
            name_fields=CONTACT_NAME_FIELDS,
        )

    @staticmethod
    def _other_matches(term: str, similar: bool = False) -> list[Q]:
        """The ways a word matches a contact other than in the names, each served by its own
        index: the details, the organisation's name and, with `similar`, a name similar to
        it (a misspelling, crm.ranked_search.fuzzy_name_match)."""
        organisations = Organisation.objects.name_contains(term).values("pk").order_by()
        matches = [
            document_contains(CONTACT_DETAIL_FIELDS, term),
            Q(organisation__in=organisations),
        ]
        if similar:
            matches.append(fuzzy_name_match(term, CONTACT_NAME_FIELDS))
        return matches

    @classmethod
    def _term_matches(cls, term: str) -> Q:
        """One word matches a contact row: in its names, or as `_other_matches` says (not by
        similarity). Checked row by row, on rows an index has found for another word."""
        condition = document_contains(CONTACT_NAME_FIELDS, term)
        for match in cls._other_matches(term):
            condition |= match
        return condition


# last_interaction_at is derived from meetings (whose own history records them), so a change
# of it alone is no event.
@tracked(exclude=["last_interaction_at"])
class Contact(models.Model):
    """A person we influence or work with, inside or outside the six municipalities."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # The foreign keys' lookups are served by the indexes of Meta (contact_organisation,
    # contact_municipality_name): no second index of the same column to write.
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,  # the person stays when an organisation record goes
        null=True,
        blank=True,
        related_name="contacts",
        db_index=False,
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        help_text=_("The municipality the person lives in or mainly works for, if any."),
        db_index=False,
    )
    email = models.EmailField(_("e-mail"), blank=True)
    secondary_email = models.EmailField(_("secondary e-mail"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    mobile_phone = PhoneNumberField(_("mobile phone"), blank=True)
    is_decision_maker = models.BooleanField(_("decision-maker"), default=False)
    influence_level = models.PositiveSmallIntegerField(
        _("influence level"), choices=InfluenceLevel.choices, default=InfluenceLevel.MEDIUM
    )
    # Alert the relationship owners when nobody has met this person for this many days;
    # empty means the default for the influence level.
    stale_after_days = models.PositiveIntegerField(
        _("alert when not met in (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    relationship_owners = models.ManyToManyField(
        User, verbose_name=_("relationship owners"), blank=True, related_name="owned_contacts"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="contacts")
    notes = models.TextField(_("notes"), blank=True)
    lawful_basis = models.CharField(
        _("lawful basis of processing"),
        max_length=30,
        choices=LawfulBasis.choices,
        default=LawfulBasis.PUBLIC_TASK,
    )
    register_role = models.CharField(
        _("role in the transparency register"),
        max_length=20,
        choices=RegisterRole.choices,
        default=RegisterRole.OTHER,
        help_text=_(
            "MPs, ministers and top officials are reported by name, others by organisation."
        ),
    )
    # Derived: the latest meeting with this person, kept current by advocacy's services.
    last_interaction_at = models.DateTimeField(_("last met"), null=True, blank=True, editable=False)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)
    # Incremented by every update service: a client's write based on an older version is refused
    # (no lost updates; see crm.versioning).
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(influence_level__in=InfluenceLevel.values),
                name="contact_influence_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(lawful_basis__in=LawfulBasis.values),
                name="contact_lawful_basis_valid",
            ),
            models.CheckConstraint(
                condition=Q(stale_after_days__isnull=True) | Q(stale_after_days__gte=1),
                name="contact_stale_after_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(register_role__in=RegisterRole.values),
                name="contact_register_role_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation"], name="contact_organisation"),
            models.Index(fields=["municipality", "last_name"], name="contact_municipality_name"),
            models.Index(Upper("last_name"), Upper("first_name"), name="contact_name_upper"),
            models.Index(
                fields=["last_interaction_at"],
                condition=Q(is_decision_maker=True, anonymised_at__isnull=True),
                name="contact_dm_last_met",
            ),
            models.Index(Lower("email"), name="contact_email_lower"),
            # The lists' cursor order (last name, id).
            models.Index(fields=["last_name", "id"], name="contact_list_order"),
            # The same for ?ordering=created_at (either way): tier L read and sorted every row.
            models.Index(fields=["created_at", "id"], name="contact_created_order"),
            trigram_index(*CONTACT_NAME_FIELDS, name="contact_name_trgm"),
            trigram_index(*CONTACT_DETAIL_FIELDS, name="contact_detail_trgm"),
            # The names that begin with a searched word, in order (crm.ranked_search.top_matches).
            name_key_index("last_name", name="contact_last_name_key"),
            name_key_index("first_name", name="contact_first_name_key"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    def archive(self) -> None:
        self.archived_at = timezone.now()
        self.save(update_fields=["archived_at", "updated_at"])


@tracked()
class ContactPosition(models.Model):
    """A position a contact held over time, e.g. an MP's term or a job at a ministry."""

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="positions"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,  # a past position keeps its organisation
        null=True,
        blank=True,
        related_name="positions",
    )
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["contact", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="contact_position_ends_after_start",
                violation_error_message=_("A position cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organisation})" if self.organisation_id else self.title

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()


class NetworkKind(models.TextChoices):
    COMMITTEE = "committee", _("committee or working group")
    FORUM = "forum", _("regional forum")
    ELECTORAL_DISTRICT = "electoral_district", _("MPs of the electoral district")
    PROJECT = "project", _("project")
    OTHER = "other", _("other")


class NetworkQuerySet(models.QuerySet):
    def search(self, text: str) -> NetworkQuerySet:
        condition = text_search_q(text, ["name", "description"])
        return self if condition is None else self.filter(condition)

    def for_list(self) -> NetworkQuerySet:
        """Networks with their members (contact or organisation) fetched along."""
        members = NetworkMembership.objects.select_related("contact", "organisation").order_by("id")
        return self.select_related("owner").prefetch_related(
            Prefetch("memberships", queryset=members)
        )


@tracked()
class Network(models.Model):
    """A named group of contacts and organisations: a committee, a forum, the district's MPs."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=30, choices=NetworkKind.choices, default=NetworkKind.OTHER
    )
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        User,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_networks",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NetworkKind.values), name="network_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@tracked()
class NetworkMembership(models.Model):
    """A contact or an organisation in a network, with its role there."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.CASCADE, related_name="memberships"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=100, blank=True)
    since = models.DateField(_("member since"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["network", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(contact__isnull=False, organisation__isnull=True)
                    | Q(contact__isnull=True, organisation__isnull=False)
                ),
                name="membership_contact_xor_organisation",
                violation_error_message=_("A member is either a contact or an organisation."),
            ),
            models.UniqueConstraint(
                fields=["network", "contact"],
                condition=Q(contact__isnull=False),
                name="membership_one_per_contact",
                violation_error_message=_("This contact is already a member of the network."),
            ),
            models.UniqueConstraint(
                fields=["network", "organisation"],
                condition=Q(organisation__isnull=False),
                name="membership_one_per_organisation",
                violation_error_message=_("This organisation is already a member of the network."),
            ),
        ]
        indexes = [
            models.Index(fields=["contact"], name="membership_contact"),
            models.Index(fields=["organisation"], name="membership_organisation"),
        ]

    def __str__(self) -> str:
        member = self.contact if self.contact_id else self.organisation
        return f"{member} – {self.network}"


# --- Personal data: access log and imports ---------------------------------------------------


class AccessPurpose(models.TextChoices):
    VIEW = "view", _("contact page viewed")
    BRIEFING = "briefing", _("briefing pack")
    REPORT_EXPORT = "report_export", _("report export")
    TRANSPARENCY_EXPORT = "transparency_export", _("transparency register export")
    CALENDAR_EXPORT = "calendar_export", _("calendar export")
    DATA_EXPORT = "data_export", _("personal data export")
    ANONYMISATION = "anonymisation", _("anonymisation")
    IMPORT = "import", _("import")
    API = "api", _("API read")


class AccessLogQuerySet(models.QuerySet):
    def about(self, contact_id: int) -> AccessLogQuerySet:
        return self.filter(contact_ids__contains=[contact_id])


class AccessLog(models.Model):
    """Who looked at or exported which contacts, when, and why (no field values, ever).

    The information management act (906/2019, § 17) asks a system holding personal data to log
    its use. Append-only: written by `crm.gdpr.record_access`, never edited. Contact ids are
    plain numbers, not foreign keys, so the log survives a merge or an anonymisation unchanged.
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.PROTECT,  # the log keeps who read what
        related_name="access_log",
        db_index=False,  # access_log_user_time leads with it
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    purpose = models.CharField(_("purpose"), max_length=30, choices=AccessPurpose.choices)
    # What was read, without personal data: "contact", "report 2026-01-01–2026-06-30", a path.
    target = models.CharField(_("target"), max_length=200, blank=True)
    contact_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("contacts"), default=list, blank=True
    )

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=AccessPurpose.values), name="access_log_purpose_valid"
            ),
        ]
        indexes = [
            GinIndex(fields=["contact_ids"], name="access_log_contacts"),
            models.Index(fields=["user", "-occurred_at"], name="access_log_user_time"),
            models.Index(fields=["-occurred_at"], name="access_log_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.user} {self.get_purpose_display()}"


class ImportKind(models.TextChoices):
    CONTACTS = "contacts", _("contacts")
    ORGANISATIONS = "organisations", _("organisations")


class ImportState(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    APPLIED = "applied", _("applied")
    DISCARDED = "discarded", _("discarded")


class ImportBatch(models.Model):
    """An uploaded spreadsheet between its preview and its confirmation.

    Holds the parsed rows (not the file) until the import is applied or discarded; then the rows
    are cleared and only the counts remain, so no personal data lingers here.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    created_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ImportState.choices, default=ImportState.PREVIEWED
    )
    rows = models.JSONField(_("rows"), default=list, blank=True)
    # A digest of the previewed plan: the import runs only if the plan is still the same.
    plan_digest = models.CharField(_("plan digest"), max_length=64)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ImportState.values), name="import_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

"""Forms of the directory pages: they parse and validate input; crm.services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import (
    Contact,
    Language,
    Municipality,
    Network,
    Organisation,
    OrganisationKind,
    Tag,
    User,
)
from crm.ranked_search import MAX_QUERY_LENGTH


class AccessibleFormMixin:
    """Ties each field's help text and errors to it (aria-describedby, aria-invalid)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            described_by = []
            if field.help_text:
                described_by.append(f"{self.auto_id % self.add_prefix(name)}_help")
            if described_by:
                field.widget.attrs["aria-describedby"] = " ".join(described_by)

    def full_clean(self):
        super().full_clean()
        # Errors appear only after cleaning: mark the fields now.
        for name in self.errors:
            if name in self.fields:
                field = self.fields[name]
                field.widget.attrs["aria-invalid"] = "true"
                ids = field.widget.attrs.get("aria-describedby", "").split()
                error_id = f"{self.auto_id % self.add_prefix(name)}_errors"
                if error_id not in ids:
                    ids.append(error_id)
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class SearchField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "search"}))
        super().__init__(**kwargs)

    def clean(self, value):
        return super().clean((value or "").replace("\x00", "")[: self.max_length])


class ContactForm(AccessibleFormMixin, forms.ModelForm):
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
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "relationship_owners": forms.CheckboxSelectMultiple,
            "tags": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relationship_owners"].queryset = User.objects.filter(is_active=True)
        self.fields["organisation"].queryset = Organisation.objects.only("id", "name")


class OrganisationForm(AccessibleFormMixin, forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "parent",
            "municipality",
            "business_id",
            "website",
            "email",
            "phone",
            "tags",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "tags": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Organisation.objects.only("id", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents


class NetworkForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = Network
        fields = ["name", "kind", "description", "owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True)


class NetworkMemberForm(AccessibleFormMixin, forms.Form):
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.active(), required=False
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.all(), required=False
    )
    role = forms.CharField(label=_("Role in the network"), max_length=100, required=False)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("contact")) == bool(cleaned.get("organisation")):
            raise forms.ValidationError(_("Choose either a contact or an organisation."))
        return cleaned


class ContactFilterForm(AccessibleFormMixin, forms.Form):
    q = SearchField(label=_("Search contacts"))
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.all(), required=False
    )
    organisation_kind = forms.ChoiceField(
        label=_("Organisation kind"),
        choices=[("", _("All kinds")), *OrganisationKind.choices],
        required=False,
    )
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False)
    decision_maker = forms.BooleanField(label=_("Decision-makers only"), required=False)
    not_met_days = forms.IntegerField(
        label=_("Not met by anyone in (days)"), min_value=1, max_value=3650, required=False
    )


class OrganisationFilterForm(AccessibleFormMixin, forms.Form):
    q = SearchField(label=_("Search organisations"))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *OrganisationKind.choices], required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("Located in"), queryset=Municipality.objects.all(), required=False
    )
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False)


class MergeContactForm(AccessibleFormMixin, forms.Form):
    duplicate = forms.ModelChoiceField(
        label=_("Duplicate to merge into this contact"),
        queryset=Contact.objects.filter(anonymised_at__isnull=True),
        help_text=_(
            "The duplicate's meetings, networks and details move here; it is then removed."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I have checked that these are the same person"), required=True
    )

    def __init__(self, *args, survivor: Contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = self.fields["duplicate"].queryset.exclude(
            pk=survivor.pk
        )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)
    next = forms.CharField(required=False)

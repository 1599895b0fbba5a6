"""Forms of the advocacy pages: they parse and validate input; advocacy.services write."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import AccessibleFormMixin, SearchField
from crm.models import Contact, Municipality, Organisation, User

from .models import (
    EndorsementState,
    FollowUp,
    Goal,
    GoalStatus,
    Meeting,
    MeetingKind,
    Topic,
    Visibility,
)

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL_FORMAT)


def active_users():
    return User.objects.filter(is_active=True).select_related("municipality")


class MeetingForm(AccessibleFormMixin, forms.Form):
    """The one form that logs a meeting. Participants, topics and goals arrive as ids from the
    type-ahead pickers; new contacts and follow-ups come in the two formsets beside it."""

    occurred_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=DateTimeLocalInput(),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Their participants"),
        queryset=Contact.objects.active(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    our_participants = forms.ModelMultipleChoiceField(
        label=_("Our participants"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        widget=forms.MultipleHiddenInput,
        help_text=_("You are included automatically."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    goals = forms.ModelMultipleChoiceField(
        label=_("Goals"),
        queryset=Goal.objects.all(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    outcomes = forms.CharField(
        label=_("Outcomes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was agreed or learnt."),
    )
    visibility = forms.ChoiceField(
        label=_("Who may see this"),
        choices=Visibility.choices,
        initial=Visibility.JOINT,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def selected(self, name: str):
        """The objects picked in a type-ahead field, for re-rendering the form after an error."""
        field = self.fields[name]
        if self.is_bound:
            ids = [v for v in self.data.getlist(self.add_prefix(name)) if str(v).isdecimal()]
        else:
            ids = [getattr(v, "pk", v) for v in (self.initial.get(name) or [])]
        if not ids:
            return []
        return list(field.queryset.filter(pk__in=ids))


MAX_DATABASE_ID = 2**63 - 1


class PreloadedModelChoiceField(forms.ModelChoiceField):
    """A row's choice of one object, found among the objects its RowFormSet fetched for all
    rows in one query (a plain ModelChoiceField, one query, anywhere else)."""

    preloaded: dict | None = None

    def to_python(self, value):
        if self.preloaded is None or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        try:
            return self.preloaded[self.queryset.model._meta.pk.to_python(value)]
        except (KeyError, TypeError, ValidationError):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None


class RowFormSet(forms.BaseFormSet):
    """Rows whose PreloadedModelChoiceFields cost one query per field for the whole formset:
    ten follow-ups of a meeting look up their assignees at once."""

    def full_clean(self):
        if self.is_bound and self.forms:
            self._preload()
        super().full_clean()

    def _preload(self) -> None:
        for name, field in self.forms[0].fields.items():
            if not isinstance(field, PreloadedModelChoiceField):
                continue
            keys = set()
            for form in self.forms:
                try:
                    key = field.queryset.model._meta.pk.to_python(form[name].data)
                except ValidationError:
                    continue  # reported by the row
                if isinstance(key, int) and 0 < key <= MAX_DATABASE_ID:
                    keys.add(key)
            found = {obj.pk: obj for obj in field.queryset.filter(pk__in=keys)} if keys else {}
            for form in self.forms:
                form.fields[name].preloaded = found


class RowForm(AccessibleFormMixin, forms.Form):
    """A formset row that counts as empty (and is ignored) unless its key field is filled."""

    key_fields: tuple[str, ...] = ()

    def has_changed(self) -> bool:
        return any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.key_fields)


class NewContactForm(RowForm):
    key_fields = ("first_name", "last_name")

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    organisation = PreloadedModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.only("id", "name"),
        required=False,
    )
    email = forms.EmailField(label=_("E-mail"), required=False)


class FollowUpRowForm(RowForm):
    key_fields = ("description",)

    description = forms.CharField(label=_("What needs doing"), max_length=2000)
    assignee = PreloadedModelChoiceField(label=_("Assignee"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_users()


NewContactFormSet = forms.formset_factory(NewContactForm, formset=RowFormSet, extra=0, max_num=50)
FollowUpFormSet = forms.formset_factory(FollowUpRowForm, formset=RowFormSet, extra=0, max_num=50)


def default_due_date() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=7)


class MeetingEditForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["occurred_at", "kind", "title", "place", "notes", "outcomes", "visibility"]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "notes": forms.Textarea(attrs={"rows": 5}),
            "outcomes": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].input_formats = [DATETIME_LOCAL_FORMAT, "%Y-%m-%d %H:%M"]


class FollowUpAddForm(AccessibleFormMixin, forms.Form):
    description = forms.CharField(
        label=_("What needs doing"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("Due date"), widget=DateInput(), initial=default_due_date)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_users()


class FollowUpCompleteForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Completion note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FollowUpUpdateForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["description", "assignee", "due_date"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "due_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = active_users()


class FollowUpFilterForm(forms.Form):
    OPEN, OVERDUE, DONE = "open", "overdue", "done"
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[(OPEN, _("Open")), (OVERDUE, _("Overdue")), (DONE, _("Done"))],
        required=False,
    )


class TopicForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "description", "owner", "status", "priority", "municipalities", "tags"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "municipalities": forms.CheckboxSelectMultiple,
            "tags": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()


class GoalForm(AccessibleFormMixin, forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["topic", "title", "description", "status", "progress", "target_date", "owner"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "target_date": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_users()
        if self.instance.pk:
            # Status and progress change through the progress form, which keeps the trail.
            del self.fields["status"]
            del self.fields["progress"]


class GoalProgressForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EndorsementForm(AccessibleFormMixin, forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.filter(is_joint_organisation=False),
    )
    state = forms.ChoiceField(label=_("Position"), choices=EndorsementState.choices)
    deciding_body = forms.CharField(label=_("Deciding body"), max_length=100, required=False)
    decision_date = forms.DateField(label=_("Decision date"), required=False, widget=DateInput())
    minutes_reference = forms.CharField(
        label=_("Minutes reference"), max_length=100, required=False
    )

    def __init__(self, *args, municipalities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if municipalities is not None:
            ids = [m.pk for m in municipalities]
            self.fields["municipality"].queryset = Municipality.objects.filter(pk__in=ids)


class SearchForm(forms.Form):
    q = SearchField(label=_("Search"))

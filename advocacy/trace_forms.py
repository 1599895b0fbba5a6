"""Forms of the traceability pages: report filters, register half-year, import upload."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ImportKind, Municipality, OrganisationKind

from .models import Goal, Topic
from .reports import ReportFilters
from .transparency import HalfYear


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.all(), required=False
    )
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.all(), required=False)
    goal = forms.ModelChoiceField(
        label=_("Goal"), queryset=Goal.objects.select_related("topic"), required=False
    )
    organisation_kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[("", _("all"))] + list(OrganisationKind.choices),
        required=False,
    )

    MAX_DAYS = 366 * 5

    @classmethod
    def initial_period(cls) -> dict:
        today = timezone.localdate()
        return {"start": today.replace(month=1, day=1), "end": today}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The period ends before it starts."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("end", _("Choose a period of at most five years."))
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            municipality=data.get("municipality"),
            topic=data.get("topic"),
            goal=data.get("goal"),
            organisation_kind=data.get("organisation_kind") or "",
        )


class HalfYearForm(forms.Form):
    half = forms.ChoiceField(label=_("Half-year"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = HalfYear.of(timezone.localdate())
        choices, half = [], current
        for _i in range(8):
            choices.append((str(half), f"{half.start:%-d.%-m.%Y}–{half.end:%-d.%-m.%Y}"))
            half = half.previous
        self.fields["half"].choices = choices
        self.fields["half"].initial = str(current.previous)

    def half_year(self) -> HalfYear:
        value = self.cleaned_data.get("half") if self.is_valid() else None
        return HalfYear.parse(value) if value else HalfYear.of(timezone.localdate()).previous


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("Spreadsheet (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)d MB).")
                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class RetentionForm(forms.Form):
    years = forms.IntegerField(label=_("No interaction in (years)"), min_value=1, max_value=30)

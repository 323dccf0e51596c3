from __future__ import annotations

import datetime as dt

from django import forms

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.core.widgets import DatePicker
from missimo.reports import services

_INPUT = {"class": "kern-form-input__input", "inputmode": "numeric", "autocomplete": "off"}
_SELECT = {"class": "kern-form-input__select"}
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]  # typed, or sent by the date picker


def _date_field(label: str, what: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text="Format TT.MM.JJJJ.",
        widget=DatePicker(attrs=_INPUT),
        error_messages={"invalid": f"Bitte geben Sie {what} im Format TT.MM.JJJJ an."},
    )


def _describe(form: forms.Form) -> None:
    """Tie help texts and errors to their fields (aria-describedby), as web/_field.html renders them."""
    for name, field in form.fields.items():
        ids = []
        if field.help_text:
            ids.append(f"id_{name}-hint")
        if form.is_bound and name in form.errors:
            ids.append(f"id_{name}-error")
            field.widget.attrs["aria-invalid"] = "true"
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)


class PeriodForm(forms.Form):
    """The dashboard's period: both ends inclusive; empty = the current year up to today."""

    von = _date_field("Zeitraum von", "den Beginn")
    bis = _date_field("Zeitraum bis", "das Ende")

    def clean(self):
        data = super().clean()
        start, end = services.default_period()
        data["von"] = data.get("von") or start
        data["bis"] = data.get("bis") or (end if data["von"] <= end else data["von"])
        if "von" not in self.errors and "bis" not in self.errors and data["bis"] < data["von"]:
            self.add_error("bis", "Das Ende darf nicht vor dem Beginn liegen.")
        return data

    def full_clean(self):
        super().full_clean()
        _describe(self)


class ReportForm(PeriodForm):
    art = forms.ChoiceField(
        label="Berichtsart",
        choices=[
            (services.JAHRESBERICHT, "Jahres- bzw. Fortschrittsbericht (beliebiger Zeitraum)"),
            (services.ABSCHLUSSBERICHT, "Abschlussbericht eines Aktionszeitraums"),
        ],
        initial=services.JAHRESBERICHT,
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    aktion = forms.ModelChoiceField(
        label="Aktionszeitraum",
        queryset=None,
        required=False,
        empty_label="– bitte wählen –",
        help_text="Nur für den Abschlussbericht. Ohne Zeitraum gilt der Aktionszeitraum bis heute.",
        widget=forms.Select(attrs=_SELECT),
        error_messages={"invalid_choice": "Bitte wählen Sie einen Aktionszeitraum aus der Liste."},
    )
    fassung = forms.ChoiceField(
        label="Fassung",
        choices=[
            (services.INTERN, "intern (genaue Zahlen)"),
            (services.OEFFENTLICH, "öffentlich (Felder unter 10 unterdrückt)"),
        ],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    field_order = ["art", "aktion", "von", "bis", "fassung"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["aktion"].queryset = services.campaigns()
        self.internal_allowed = user is not None and policy.can(user, Capability.SEE_INTERNAL_REPORTS)
        if not self.internal_allowed:
            self.fields["fassung"].choices = [self.fields["fassung"].choices[1]]

    def clean(self):
        data = forms.Form.clean(self)
        kind = data.get("art") or services.JAHRESBERICHT
        data["art"] = kind
        campaign = data.get("aktion")
        if kind == services.ABSCHLUSSBERICHT and campaign is None and "aktion" not in self.errors:
            self.add_error("aktion", "Bitte wählen Sie den Aktionszeitraum des Abschlussberichts.")
        if kind == services.ABSCHLUSSBERICHT and campaign is not None:
            today = services.default_period()[1]
            data["von"] = data.get("von") or campaign.start
            data["bis"] = data.get("bis") or max(campaign.end, min(today, dt.date(campaign.end.year, 12, 31)))
        else:
            if kind != services.ABSCHLUSSBERICHT:
                data["aktion"] = None
            year = services.default_period()[1].year
            data["von"] = data.get("von") or dt.date(year, 1, 1)
            data["bis"] = data.get("bis") or dt.date(data["von"].year, 12, 31)
        fassung = data.get("fassung") or (services.INTERN if self.internal_allowed else services.OEFFENTLICH)
        if not self.internal_allowed:
            fassung = services.OEFFENTLICH
        data["fassung"] = fassung
        if "von" not in self.errors and "bis" not in self.errors and data["bis"] < data["von"]:
            self.add_error("bis", "Das Ende darf nicht vor dem Beginn liegen.")
        return data

    def report(self) -> services.ReportRequest:
        data = self.cleaned_data
        return services.ReportRequest(
            kind=data["art"],
            start=data["von"],
            end=data["bis"],
            version=data["fassung"],
            campaign=data.get("aktion"),
        )

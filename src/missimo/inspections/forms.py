from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Capability
from missimo.casework.models import Campaign
from missimo.inspections.models import Finding
from missimo.inspections.services import cases_to_plan


class DescribedForm(forms.Form):
    """Ties help texts and error messages to their fields (aria-describedby, aria-invalid), with the
    ids web/_field.html gives them."""

    def full_clean(self):
        super().full_clean()
        self._describe()

    def _describe(self):
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}-hint")
            if self.is_bound and (getattr(self, "_errors", None) or {}).get(name):
                ids.append(f"{bound.auto_id}-error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids and not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class CampaignChoiceForm(DescribedForm):
    campaign = forms.ModelChoiceField(
        label="Aktionszeitraum",
        queryset=Campaign.objects.all(),
        empty_label="Bitte wählen",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )


class PlanForm(DescribedForm):
    # Date and time pickers (type="date"/"time"): the browser shows them in German (TT.MM.JJJJ, HH:MM)
    # and sends ISO; typed German values are accepted too (a browser without pickers).
    date = forms.DateField(
        label="Datum",
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        help_text="Format TT.MM.JJJJ, z. B. 07.10.2026.",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"class": "kern-form-input__input", "type": "date"}),
        error_messages={"invalid": "Bitte geben Sie das Datum im Format TT.MM.JJJJ ein."},
    )
    time = forms.TimeField(
        label="Uhrzeit",
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        help_text="Format HH:MM, z. B. 09:30.",
        widget=forms.TimeInput(format="%H:%M", attrs={"class": "kern-form-input__input", "type": "time"}),
        error_messages={"invalid": "Bitte geben Sie die Uhrzeit im Format HH:MM ein."},
    )
    past_confirmed = forms.BooleanField(
        label="Ja, der Zeitpunkt liegt in der Vergangenheit: die Kontrolle wird nachträglich erfasst.",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}),
    )
    meeting_point = forms.CharField(
        label="Treffpunkt",
        max_length=300,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    cases = forms.ModelMultipleChoiceField(
        label="Objekte (Prüffälle des Aktionszeitraums)",
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"}),
        error_messages={"required": "Bitte wählen Sie mindestens ein Objekt aus."},
    )
    agencies = forms.ModelMultipleChoiceField(
        label="Beteiligte Behörden",
        queryset=Agency.objects.none(),  # set in __init__: the agencies whose staff take part in inspections
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"}),
        help_text="Zum Beispiel Ordnungsdienst, Polizei, Bauaufsicht, Wohnungsaufsicht, Zoll, Arbeitsschutz. "
        "Nur beteiligte Behörden sehen die Kontrolle.",
        error_messages={"required": "Bitte wählen Sie mindestens eine beteiligte Behörde aus."},
    )
    members = forms.ModelMultipleChoiceField(
        label="Teammitglieder mit Benutzerkonto",
        queryset=None,
        required=False,
        help_text="Beschäftigte der beteiligten Behörden des Aktionszeitraums und der Koordinierungsstelle.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"}),
    )
    members_text = forms.CharField(
        label="Weitere Teammitglieder (Name, Stelle)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "kern-form-input__input"}),
    )
    interpreter_needed = forms.BooleanField(
        label="Dolmetschung benötigt",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}),
    )
    interpreter_language = forms.CharField(
        label="Sprache der Dolmetschung",
        max_length=100,
        required=False,
        help_text="Nur die Sprache für die Verständigung – keine Angaben zu Herkunft oder Staatsangehörigkeit.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    notes = forms.CharField(
        label="Hinweise zur Durchführung",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "kern-form-input__input"}),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["agencies"].queryset = Agency.objects.filter(
            kind__in=sorted(policy.inspecting_agency_kinds())
        ).order_by("name")
        self.fields["cases"].queryset = cases_to_plan(campaign)
        self.fields["cases"].label_from_instance = lambda case: (
            f"{case.aktenzeichen} – {case.property.address if case.property else case.title}"
            f" ({case.get_status_display()})"
            + (
                f" – Unterkunft für Beschäftigte ({case.property.arbeitgeber or 'Arbeitgeber unbekannt'}), "
                "mit Arbeitsschutz"
                if case.property is not None and case.property.kategorie_beschaeftigte
                else ""
            )
        )
        agencies = Q(agency__in=campaign.agencies.all()) | policy.users_who_can(Capability.PLAN_INSPECTIONS)
        self.fields["members"].queryset = (
            get_user_model()
            .objects.filter(agencies, is_active=True)
            .distinct()
            .select_related("agency")
            .order_by("agency__name", "last_name", "username")
        )
        self.fields["members"].label_from_instance = lambda user: (
            f"{user.display_name} ({user.agency})" if user.agency_id else user.display_name
        )
        self._describe()

    def clean(self):
        data = super().clean()
        if data.get("interpreter_needed") and not (data.get("interpreter_language") or "").strip():
            self.add_error("interpreter_language", "Bitte geben Sie die Sprache der Dolmetschung an.")
        self._check_worker_accommodation(data)
        when = self.scheduled_at()
        if (
            when is not None
            and when < timezone.now()
            and not data.get("past_confirmed")
            and self._date_changed()
        ):
            self.asks_past_confirmation = True
            self.add_error(
                "date",
                f"Der {timezone.localtime(when):%d.%m.%Y, %H:%M} Uhr liegt in der Vergangenheit. Bitte wählen Sie "
                "einen künftigen Zeitpunkt oder bestätigen Sie unten, dass die Kontrolle nachträglich erfasst wird.",
            )
        return data

    asks_past_confirmation = False

    def _check_worker_accommodation(self, data) -> None:
        """A worker accommodation (property category "Unterkunft für Beschäftigte") is inspected
        jointly with the Arbeitsschutz (gemeinsamer Runderlass vom 20.10.2022), where the city has one."""
        cases, agencies = data.get("cases") or [], data.get("agencies") or []
        housing = [
            case for case in cases if case.property is not None and case.property.kategorie_beschaeftigte
        ]
        if not housing or any(agency.kind == AgencyKind.ARBEITSSCHUTZ for agency in agencies):
            return
        if not self.fields["agencies"].queryset.filter(kind=AgencyKind.ARBEITSSCHUTZ).exists():
            return
        addresses = ", ".join(case.property.address for case in housing)
        self.add_error(
            "agencies",
            f"{addresses}: Unterkunft für Beschäftigte – bitte beteiligen Sie den Arbeitsschutz "
            "(gemeinsame Kontrolle nach dem Runderlass vom 20.10.2022).",
        )

    def scheduled_at(self) -> dt.datetime | None:
        """The chosen date and time (local time of the city), or None while either is missing."""
        data = getattr(self, "cleaned_data", {})
        if not data.get("date") or not data.get("time"):
            return None
        return timezone.make_aware(dt.datetime.combine(data["date"], data["time"]))

    def _date_changed(self) -> bool:
        """A new plan always; a changed plan only when its date or time changes (an inspection that
        already lies in the past may keep its date while its team changes)."""
        return True


class PhotoForm(DescribedForm):
    photo = forms.FileField(
        label="Foto",
        help_text="JPEG, PNG oder WebP, höchstens 10 MiB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}
        ),
    )
    caption = forms.CharField(
        label="Beschreibung des Fotos",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )


class CompleteForm(DescribedForm):
    reason = forms.CharField(
        label="Begründung für den Abschluss",
        widget=forms.Textarea(attrs={"rows": 3, "class": "kern-form-input__input"}),
        help_text="Erscheint im Verlauf des Prüffalls (Status „kontrolliert“).",
        error_messages={"required": "Bitte geben Sie eine Begründung für den Abschluss an."},
    )

    def __init__(self, *args, hints, **kwargs):
        super().__init__(*args, **kwargs)
        self.hints = list(hints)
        for hint in self.hints:
            self.fields[f"finding_{hint.pk}"] = forms.ChoiceField(
                label=f"Ergebnis zu Hinweis {hint.primary_ref}",
                choices=[("", "Bitte wählen"), *Finding.choices],
                widget=forms.Select(attrs={"class": "kern-form-input__select"}),
                error_messages={"required": "Bitte wählen Sie ein Ergebnis für diesen Hinweis."},
            )
            self.fields[f"note_{hint.pk}"] = forms.CharField(
                label=f"Bemerkung zu Hinweis {hint.primary_ref}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "kern-form-input__input"}),
            )
        self._describe()

    def hint_rows(self):
        return [(hint, self[f"finding_{hint.pk}"], self[f"note_{hint.pk}"]) for hint in self.hints]

    def findings(self) -> dict[int, tuple[str, str]]:
        return {
            hint.pk: (self.cleaned_data[f"finding_{hint.pk}"], self.cleaned_data[f"note_{hint.pk}"])
            for hint in self.hints
        }


class ReplanForm(PlanForm):
    """The plan of an inspection that exists: everything but its properties (cases)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def _date_changed(self) -> bool:
        return "date" in self.changed_data or "time" in self.changed_data

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, campaign=inspection.campaign, **kwargs)
        del self.fields["cases"]

    @classmethod
    def for_inspection(cls, inspection, data=None):
        from django.utils import timezone

        when = timezone.localtime(inspection.scheduled_at)
        initial = {
            "date": when.date(),
            "time": when.time().replace(second=0, microsecond=0),
            "meeting_point": inspection.meeting_point,
            "agencies": list(inspection.agencies.all()),
            "members": list(inspection.members.all()),
            "members_text": inspection.members_text,
            "interpreter_needed": inspection.interpreter_needed,
            "interpreter_language": inspection.interpreter_language,
            "notes": inspection.notes,
            "version": inspection.version,
        }
        return cls(data, initial=initial, inspection=inspection)

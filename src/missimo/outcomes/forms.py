from decimal import Decimal

from django import forms
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.policy import AgencyKind
from missimo.core.widgets import DatePicker
from missimo.outcomes import letters as letter_work
from missimo.outcomes import placeholders
from missimo.outcomes.defaults import OWNER_KIND
from missimo.outcomes.models import RECLAIMS, LetterTemplate, MeasureKind, OutcomeResult, measure_kinds_for

_INPUT = {"class": "kern-form-input__input"}
_SELECT = {"class": "kern-form-input__select"}
_DATE_ERRORS = {
    "required": "Bitte geben Sie ein Datum an.",
    "invalid": "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an.",
}
_MONEY_ERRORS = {
    "invalid": "Bitte geben Sie einen Betrag in Euro an, z. B. 255,00.",
    "max_decimal_places": "Bitte höchstens zwei Nachkommastellen.",
    "min_value": "Der Betrag darf nicht negativ sein.",
    "max_digits": "Der Betrag ist zu groß.",
    "max_whole_digits": "Der Betrag ist zu groß.",
}


class _Styled(forms.Form):
    """KERN classes on every widget; help texts tied to their field with aria-describedby."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.Select):
                widget.attrs.update(_SELECT)
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.update({"class": "kern-form-check__checkbox"})
            else:
                widget.attrs.update(_INPUT)
            described = []
            if field.help_text:
                described.append(f"{self.auto_id % self.add_prefix(name)}-hint")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self):
        super().full_clean()
        # Errors are known only now: tie them to their fields.
        for name in self.errors:
            if name in self.fields and not isinstance(self.fields[name].widget, forms.HiddenInput):
                widget = self.fields[name].widget
                ident = f"{self.auto_id % self.add_prefix(name)}-error"
                existing = widget.attrs.get("aria-describedby", "")
                if ident not in existing:
                    widget.attrs["aria-describedby"] = f"{existing} {ident}".strip()
                widget.attrs["aria-invalid"] = "true"


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text="Format TT.MM.JJJJ.",
        error_messages=_DATE_ERRORS,
        widget=DatePicker(attrs={"inputmode": "numeric"}),
    )


class EuroField(forms.DecimalField):
    """An amount as civil servants type it: 3.060,00 or 3060,00 or 3060.00, optionally with €."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


def _money_field(label: str, help_text: str = "") -> forms.DecimalField:
    return EuroField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        localize=True,
        help_text=help_text,
        error_messages=_MONEY_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class OutcomeForm(_Styled):
    result = forms.ChoiceField(
        label="Ergebnis",
        choices=[("", "bitte wählen"), *OutcomeResult.choices],
        error_messages={"required": "Bitte wählen Sie ein Ergebnis."},
    )
    decided_on = _date_field("festgestellt am")
    note = forms.CharField(
        label="Vermerk",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Nur was für das Ergebnis nötig ist; keine weiteren personenbezogenen Angaben.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, outcome=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if outcome is not None:
            initial.update(
                {
                    "result": outcome.result,
                    "decided_on": outcome.decided_on,
                    "note": outcome.note,
                    "version": outcome.version,
                }
            )
        else:
            initial.setdefault("decided_on", timezone.localdate())
            initial.setdefault("version", 0)
        super().__init__(*args, **kwargs)

    def clean_decided_on(self):
        day = self.cleaned_data["decided_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Das Datum der Feststellung darf nicht in der Zukunft liegen.")
        return day


class MeasureForm(_Styled):
    kind = forms.ChoiceField(
        label="Maßnahme",
        choices=[("", "bitte wählen"), *MeasureKind.choices],
        error_messages={"required": "Bitte wählen Sie die Maßnahme."},
    )
    taken_on = _date_field("Datum der Maßnahme")
    monthly_amount = _money_field(
        "eingestellter Betrag (€/Monat)",
        "Bei „Kindergeld eingestellt“: der Monatsbetrag, vorbelegt aus dem Hinweis. Bei „Bürgergeld "
        "eingestellt“: leer lassen, wenn unbekannt – dann gilt der Regelbedarf des Jahres.",
    )
    reclaimed_amount = _money_field("Rückforderungsbetrag (€)", "Bei einer Rückforderung erforderlich.")
    follow_up_date = forms.DateField(
        label="Wiedervorlage (optional)",
        required=False,
        help_text="Wann Sie die Maßnahme wieder ansehen wollen.",
        error_messages=_DATE_ERRORS,
        widget=DatePicker(),
    )
    note = forms.CharField(
        label="Vermerk", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, hint=None, agency_kind=None, **kwargs):
        kwargs.setdefault("prefix", "massnahme")
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("taken_on", timezone.localdate())
        if hint is not None and hint.amount_monthly is not None:
            initial.setdefault("monthly_amount", hint.amount_monthly)
        super().__init__(*args, **kwargs)
        if agency_kind is not None:
            self.fields["kind"].choices = [("", "bitte wählen"), *measure_kinds_for(agency_kind)]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in RECLAIMS and not data.get("reclaimed_amount"):
            self.add_error("reclaimed_amount", "Bei einer Rückforderung geben Sie bitte den Betrag an.")
        if kind == MeasureKind.KINDERGELD_EINGESTELLT and data.get("monthly_amount") is None:
            self.add_error("monthly_amount", "Bitte geben Sie den eingestellten Monatsbetrag an.")
        return data


class WithdrawForm(_Styled):
    reason = forms.CharField(
        label="Grund der Rücknahme",
        max_length=2000,
        error_messages={"required": "Bitte geben Sie den Grund der Rücknahme an."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class RejectForm(_Styled):
    reason = forms.CharField(
        label="Grund der Zurückweisung",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Bitte geben Sie den Grund der Zurückweisung an."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LetterDraftForm(_Styled):
    to_owner = forms.BooleanField(
        label="An den Eigentümer des Objekts (Anschrift aus dem Eigentümer-Datensatz)",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"}),
    )
    recipient = forms.ModelChoiceField(
        label="Empfängerin (Behörde)",
        queryset=letter_work.recipients(),
        required=False,
        empty_label="bitte wählen",
        error_messages={
            "required": "Bitte wählen Sie die Empfängerin.",
            "invalid_choice": "Bitte wählen Sie die Empfängerin.",
        },
    )
    template = forms.ModelChoiceField(
        label="Vorlage",
        queryset=LetterTemplate.objects.filter(active=True),
        empty_label="bitte wählen",
        error_messages={
            "required": "Bitte wählen Sie eine Vorlage.",
            "invalid_choice": "Bitte wählen Sie eine Vorlage.",
        },
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.fields["recipient"].required = owner is None
        template = self.fields["template"]
        if owner is None:
            del self.fields["to_owner"]
            # No owner record for this case: templates for owners are of no use here.
            template.queryset = template.queryset.exclude(recipient_kind=OWNER_KIND)
        else:
            self.fields["to_owner"].label = f"An den Eigentümer des Objekts: {', '.join(owner.address_block)}"
            template.help_text = (
                "Vorlagen „für Eigentümer“ passen nur zu einem Schreiben an den Eigentümer, "
                "Vorlagen für eine Behördenart nur zu einem Schreiben an eine Behörde."
            )
        template.label_from_instance = _template_label

    def clean(self):
        data = super().clean()
        to_owner = bool(data.get("to_owner"))
        if to_owner:
            if data.get("recipient") is not None:
                self.add_error(
                    "recipient", "Ein Schreiben geht an eine Behörde oder an den Eigentümer, nicht an beide."
                )
        elif data.get("recipient") is None and "recipient" not in self.errors:
            self.add_error("recipient", "Bitte wählen Sie die Empfängerin.")
        template = data.get("template")
        if template is not None and not letter_work.template_fits(template, to_owner=to_owner):
            self.add_error(
                "template",
                "Diese Vorlage ist für Schreiben an Behörden. Bitte wählen Sie eine Vorlage für Eigentümer."
                if to_owner
                else "Diese Vorlage ist für Schreiben an Eigentümer. Bitte wählen Sie eine Vorlage für Behörden "
                "oder kreuzen Sie „An den Eigentümer des Objekts“ an.",
            )
        return data


def _template_label(template: LetterTemplate) -> str:
    """Owner templates are marked; the others keep their name (they usually name the agency)."""
    if template.recipient_kind == OWNER_KIND:
        return f"{template.name} (für Eigentümer)"
    return template.name


class LetterEditForm(_Styled):
    subject = forms.CharField(
        label="Betreff", max_length=300, error_messages={"required": "Bitte geben Sie einen Betreff an."}
    )
    body = forms.CharField(
        label="Text",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Nur der inhaltlich nötige Mindestumfang an personenbezogenen Daten.",
        error_messages={"required": "Bitte geben Sie den Text an."},
    )
    reply_due = forms.DateField(
        label="Antwort erwartet bis (optional)",
        required=False,
        help_text="Ist die Frist verstrichen, steht das Schreiben in Ihren Aufgaben.",
        error_messages=_DATE_ERRORS,
        widget=DatePicker(),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class TemplateForm(_Styled):
    name = forms.CharField(
        label="Bezeichnung",
        max_length=200,
        error_messages={"required": "Bitte geben Sie eine Bezeichnung an."},
    )
    recipient_kind = forms.ChoiceField(
        label="übliche Empfängerin",
        required=False,
        choices=[("", "keine Vorgabe"), (OWNER_KIND, "Eigentümer des Objekts")]
        + [(kind, label) for kind, label in AgencyKind.choices if kind in policy.LETTER_RECIPIENT_KINDS],
    )
    subject = forms.CharField(
        label="Betreff",
        max_length=300,
        help_text="Platzhalter sind erlaubt, z. B. {aktenzeichen}.",
        error_messages={"required": "Bitte geben Sie einen Betreff an."},
    )
    body = forms.CharField(
        label="Text",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Platzhalter: " + ", ".join("{" + key + "}" for key in placeholders.PLACEHOLDERS) + ".",
        error_messages={"required": "Bitte geben Sie den Text an."},
    )
    active = forms.BooleanField(label="Vorlage ist aktiv (beim Entwerfen wählbar)", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, template=None, **kwargs):
        self.template = template
        initial = kwargs.setdefault("initial", {})
        if template is not None:
            initial.update(
                {
                    "name": template.name,
                    "recipient_kind": template.recipient_kind,
                    "subject": template.subject,
                    "body": template.body,
                    "active": template.active,
                    "version": template.version,
                }
            )
        else:
            initial.setdefault("active", True)
            initial.setdefault("version", 0)
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = LetterTemplate.objects.filter(name=name)
        if self.template is not None:
            clash = clash.exclude(pk=self.template.pk)
        if clash.exists():
            raise forms.ValidationError("Eine Vorlage mit dieser Bezeichnung gibt es schon.")
        return name

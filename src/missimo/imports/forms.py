from django import forms
from django.conf import settings

from missimo.engine import get_source


class DeliveryForm(forms.Form):
    file = forms.FileField(
        label="Datei (CSV oder XLSX)",
        help_text="CSV mit Semikolon (UTF-8 oder Windows-1252) oder Excel-Arbeitsmappe; die erste Zeile enthält die Spaltennamen.",
        error_messages={"required": "Bitte wählen Sie eine Datei aus.", "empty": "Die Datei ist leer."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "kern-form-input__input", "aria-describedby": "id_file-hint"}
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"Die Datei ist größer als die zulässigen {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MiB."
            )
        return upload


class MappingForm(forms.Form):
    """One select per column of the delivered file: which contract field it holds."""

    def __init__(self, *args, source: str, header: list[str], initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        layout = get_source(source)
        choices = [("", "– nicht verwenden –")] + [
            (f.name, f"{f.name} ({f.label}){' *' if f.required else ''}") for f in layout.fields
        ]
        field_names = {f.name.lower(): f.name for f in layout.fields}
        self.columns = []
        for index, column in enumerate(header):
            name = f"col_{index}"
            guess = initial_mapping.get(column) or field_names.get(column.strip().lower(), "")
            self.fields[name] = forms.ChoiceField(
                label=column or f"Spalte {index + 1}", choices=choices, required=False
            )
            self.initial.setdefault(name, guess)
            self.columns.append((name, column))
        self.layout = layout

    def clean(self):
        cleaned = super().clean()
        chosen = [cleaned.get(name) for name, _ in self.columns if cleaned.get(name)]
        duplicates = sorted({c for c in chosen if chosen.count(c) > 1})
        if duplicates:
            raise forms.ValidationError(
                f"Jedes Feld darf nur einer Spalte zugeordnet werden: {', '.join(duplicates)}."
            )
        missing = [f.name for f in self.layout.fields if f.required and f.name not in chosen]
        if missing:
            raise forms.ValidationError(
                f"Diese Pflichtfelder sind keiner Spalte zugeordnet: {', '.join(missing)}."
            )
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[name] for name, column in self.columns if self.cleaned_data.get(name)
        }

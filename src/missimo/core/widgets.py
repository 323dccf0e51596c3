"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms

__all__ = ["DatePicker"]


class DatePicker(forms.DateInput):
    """A date field with the browser's date picker (``<input type="date">``, issue #20).

    The browser sends JJJJ-MM-TT and shows the date in the user's locale (TT.MM.JJJJ in German);
    the fields still accept TT.MM.JJJJ typed by hand (browsers without a picker, tests, scripts),
    since DATE_INPUT_FORMATS holds both."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        attrs = {key: value for key, value in (attrs or {}).items() if key != "inputmode"}
        super().__init__(attrs=attrs, format="%Y-%m-%d")

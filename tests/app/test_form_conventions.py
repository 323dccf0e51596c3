"""Conventions every form of the application keeps (issue #20): dates are picked with the browser's
date picker, and a page with a form shows the error summary (every error, linked to its field)
above it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from django import forms

import missimo

SRC = Path(missimo.__file__).parent


def _form_classes():
    for module_info in pkgutil.iter_modules([str(SRC)]):
        if not (SRC / module_info.name / "forms.py").exists():
            continue
        module = importlib.import_module(f"missimo.{module_info.name}.forms")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_date_field_of_every_form_is_a_date_picker():
    checked = 0
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
                checked += 1
                assert field.widget.input_type == "date", f"{cls.__module__}.{cls.__name__}.{name}"
                assert "%Y-%m-%d" in (field.input_formats or ["%Y-%m-%d"]), f"{cls.__name__}.{name}"
            if isinstance(field, forms.TimeField):
                assert field.widget.input_type == "time", f"{cls.__module__}.{cls.__name__}.{name}"
    assert checked >= 10


FORM_FIELD = re.compile(r"_field\.html|\{\{ *\w*form\.\w+ *\}\}|for field in \w*form")


@pytest.mark.parametrize(
    "template",
    sorted(
        path
        for path in SRC.glob("*/templates/**/*.html")
        if FORM_FIELD.search(path.read_text(encoding="utf-8")) and "<form" in path.read_text(encoding="utf-8")
    ),
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_a_template_with_a_form_shows_the_error_summary_above_it(template):
    assert "web/_error_summary.html" in template.read_text(encoding="utf-8")

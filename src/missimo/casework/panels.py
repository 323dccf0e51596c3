"""The personal to-do list of the start page (registered in apps.py for the slot "start")."""

from __future__ import annotations

from django.template.loader import render_to_string

from missimo.casework import services


def todo_panel(request, _obj) -> str:
    items = services.todo_list(request.user)
    return render_to_string("casework/_todo.html", {"items": items}, request=request)

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from missimo.accounts import policy, twofactor
from missimo.core import extensions
from missimo.web.models import SavedFilter


@require_GET
def start(request):
    """The start page: who is logged in, for which agency, with which roles, and the own second factor."""

    return render(
        request,
        "web/start.html",
        {
            "roles": policy.role_labels(request.user),
            "second_factor": twofactor.confirmed_device(request.user) is not None,
            "todo": extensions.panels("start", request, request.user),
        },
    )


@login_not_required
@require_GET
def accessibility(request):
    """Erklärung zur Barrierefreiheit (BITV 2.0 / EU-Richtlinie 2016/2102)."""
    return render(request, "web/barrierefreiheit.html")


# --- saved filters of lists (web/lists/_filters.html) ----------------------------------------------

SAVED_FILTERS_PER_LIST = 20


def _list_path(raw: str) -> str | None:
    """The path of a list page of this application (no other host, no scheme), or None."""
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path[:200]


@require_POST
def save_filter(request):
    """Save the current filter of a list under a name, for the user only; back to the list."""
    path = _list_path(request.POST.get("liste", ""))
    if path is None:
        raise Http404
    query = request.POST.get("filter", "")[:1000]
    query = "&".join(part for part in query.split("&") if not part.startswith("seite="))
    name = " ".join(request.POST.get("name", "").split())[:80]
    if not name:
        messages.error(request, "Bitte geben Sie dem Filter einen Namen.")
    elif not query:
        messages.error(request, "Es ist kein Filter gesetzt, den Sie speichern könnten.")
    elif SavedFilter.objects.filter(user=request.user, path=path).count() >= SAVED_FILTERS_PER_LIST:
        messages.error(request, f"Sie können je Liste höchstens {SAVED_FILTERS_PER_LIST} Filter speichern.")
    else:
        SavedFilter.objects.update_or_create(
            user=request.user, path=path, name=name, defaults={"query": query}
        )
        messages.success(request, f"Der Filter „{name}“ ist gespeichert.")
        return redirect(f"{path}?{query}")
    return redirect(f"{path}?{query}" if query else path)


@require_POST
def delete_filter(request, pk: int):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved.delete()
    messages.success(request, f"Der Filter „{saved.name}“ ist gelöscht.")
    return redirect(saved.path)

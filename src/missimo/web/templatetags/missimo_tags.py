from django import template

from missimo.web.models import SavedFilter

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ mapping|get_item:key }}`: look a key up in a dict."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.filter
def german_date(value):
    """`2014-03-04` (also with `00` parts) as `04.03.2014`; other values unchanged."""
    if value is None or value == "":
        return "–"
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}.{text[5:7]}.{text[0:4]}"
    return text


@register.filter
def percent(value):
    """A probability as a German percentage with two decimals: 99,98 %."""
    try:
        return f"{float(value) * 100:.2f} %".replace(".", ",")
    except (TypeError, ValueError):
        return "–"


@register.simple_tag(takes_context=True)
def saved_filters(context):
    """The user's saved filters of the list on this page (web/lists/_filters.html)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(SavedFilter.objects.filter(user=user, path=request.path))

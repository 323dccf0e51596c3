from django.contrib import admin

from missimo.inspections.models import SupportService


@admin.register(SupportService)
class SupportServiceAdmin(admin.ModelAdmin):
    """The city's support services a case can be referred to (no citizen data)."""

    list_display = ["name", "provider", "active"]
    list_filter = ["active"]
    search_fields = ["name", "provider"]

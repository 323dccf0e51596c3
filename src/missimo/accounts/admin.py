from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from missimo.accounts.models import Agency, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "schulnummer"]
    list_filter = ["kind"]
    search_fields = ["name", "schulnummer"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["agency", "groups", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Behörde", {"fields": ("agency",)}))

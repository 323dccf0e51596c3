from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from missimo.accounts import policy
from missimo.accounts.models import Agency, User
from missimo.accounts.policy import Capability


class _ForAdministration:
    """The role Administration (capability ADMINISTER_ACCOUNTS) works here without Django model
    permissions being granted by hand; deleting stays with superusers (deactivate instead: an account's
    history and audit entries stay)."""

    def _administers(self, request) -> bool:
        return request.user.is_active and policy.can(request.user, Capability.ADMINISTER_ACCOUNTS)

    def has_module_permission(self, request):
        return self._administers(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._administers(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._administers(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._administers(request) or super().has_change_permission(request, obj)


@admin.register(Agency)
class AgencyAdmin(_ForAdministration, admin.ModelAdmin):
    list_display = ["name", "kind", "schulnummer"]
    list_filter = ["kind"]
    search_fields = ["name", "schulnummer"]


@admin.register(User)
class UserAdmin(_ForAdministration, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["agency", "groups", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Behörde", {"fields": ("agency",)}))

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser grants superuser status or single model permissions; roles are groups."""
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser", "user_permissions")

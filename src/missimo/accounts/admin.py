from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from missimo.accounts import policy, signals
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


def _group_codes(user) -> list[str]:
    """The codes of the user's roles as stored (groups are keyed by the role's code)."""
    return list(user.groups.values_list("name", flat=True))


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
        """Only a superuser grants superuser status or single model permissions; roles are groups.

        Nobody but a superuser changes the roles, staff status or activity of their own account:
        an administrator who could give themselves a role that reads personal data would step
        around need-to-know (separation of duties).
        """
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        own = ("groups", "is_staff", "is_active") if obj is not None and obj.pk == request.user.pk else ()
        return (*fields, "is_superuser", "user_permissions", *own)

    def save_related(self, request, form, formsets, change):
        """Every change of an account's roles goes to the audit log (who, whose, old and new roles)."""
        before = _group_codes(form.instance) if change else []
        super().save_related(request, form, formsets, change)
        after = _group_codes(form.instance)
        if sorted(before) != sorted(after):
            signals.roles_changed_by_administrator.send(
                sender=type(self), user=form.instance, before=before, after=after, request=request
            )

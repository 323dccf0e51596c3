"""Named operations on accounts: the only functions other apps call."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from missimo.accounts.models import Agency, User
from missimo.accounts.policy import Role


def ensure_role_groups() -> dict[Role, Group]:
    """Create the group of every role if it does not exist yet (idempotent)."""
    return {role: Group.objects.get_or_create(name=role.group_name)[0] for role in Role}


@transaction.atomic
def create_user(
    username: str,
    password: str | None,
    *,
    agency: Agency | None,
    roles: list[Role],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Create a user with the given agency and roles. Without a password the account cannot log in."""
    groups = ensure_role_groups()
    user = User(username=username, agency=agency, first_name=first_name, last_name=last_name, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([groups[role] for role in roles])
    return user

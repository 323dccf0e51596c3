"""Named operations on accounts: the only functions other apps call."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import Group
from django.db import transaction

from missimo.accounts import policy
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


# --- administration of accounts (the pages are missimo.administration's; it audits each step) -----


def role_choices() -> list[tuple[str, str]]:
    """The roles as (code, German label) for a form: the administration names roles only through this."""
    return [(role.value, str(role.label)) for role in Role]


def users_with_role(code: str):
    """The users of one role (by its code); no user for an unknown code."""
    role = policy.role_of_group(code)
    return User.objects.filter(groups__name=role.group_name) if role is not None else User.objects.none()


def role_label_list(user) -> str:
    return ", ".join(policy.role_labels(user)) or "keine Rolle"


def initial_password() -> str:
    """A one-time initial password (shown once to the administrator, to be changed by the user)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


@transaction.atomic
def create_account(
    username: str,
    *,
    agency: Agency,
    role_code: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> tuple[User, str]:
    """A new account with one role and an initial password (returned once, stored only as a hash)."""
    role = Role(role_code)
    password = initial_password()
    user = create_user(
        username,
        password,
        agency=agency,
        roles=[role],
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    return user, password


def failed_logins(user) -> int:
    """The failed log-ins counted against the account (django-axes), 0 if none."""
    from axes.models import AccessAttempt

    return sum(
        AccessAttempt.objects.filter(username=user.username).values_list("failures_since_start", flat=True)
    )


def is_locked_out(user) -> bool:
    from django.conf import settings

    limit = getattr(settings, "AXES_FAILURE_LIMIT", 0) or 0
    return bool(limit) and failed_logins(user) >= limit


def unlock(user) -> int:
    """Lift the lock-out after failed log-ins; returns the number of failure records removed."""
    from axes.utils import reset

    return reset(username=user.username)


@transaction.atomic
def reset_second_factor(user) -> dict[str, int]:
    """Remove the authenticator app and the recovery codes: the user sets up a new second factor
    (and gets new recovery codes) at the next log-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from missimo.accounts.models import RecoveryCode

    devices, _ = TOTPDevice.objects.filter(user=user).delete()
    codes, _ = RecoveryCode.objects.filter(user=user).delete()
    return {"devices": devices, "recovery_codes": codes}


def has_second_factor(user) -> bool:
    from missimo.accounts import twofactor

    return twofactor.confirmed_device(user) is not None


def set_active(user, active: bool) -> bool:
    """Deactivate (no log-in any more; history and audit stay) or reactivate an account; returns
    whether anything changed."""
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    return True

"""Security events of accounts, announced for the audit log (which listens, see audit.signals).

Like Django's `user_logged_in`, these are sent synchronously: when the audit entry cannot be written,
the receiver raises and the action fails, so no such event happens without its entry.
"""

from __future__ import annotations

from django.dispatch import Signal

# user, device, request: the second factor (authenticator app) was set up and confirmed.
second_factor_enrolled = Signal()
# user, request, recovery_code (bool), remaining (int | None): the code step was passed.
second_factor_passed = Signal()
# user, request, recovery_code (bool): a wrong code (or recovery code) was entered.
second_factor_failed = Signal()
# user, count, request: the recovery codes were replaced by new ones.
recovery_codes_renewed = Signal()
# user, roles (list of codes), agency (str), request: an identity provider changed roles or agency.
roles_changed_by_provider = Signal()
# user, before, after (lists of role codes), request: an administrator changed an account's roles.
roles_changed_by_administrator = Signal()

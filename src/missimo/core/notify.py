"""E-mail notifications (issue #16): what happened and a link, never personal data.

Off unless ``MISSIMO_EMAIL_NOTIFICATIONS``; sent through Django's mail framework (SMTP by
settings). A mail names only the kind of event and links to the page in MISSIMO; the Aktenzeichen,
names, addresses or file contents stay in MISSIMO behind the login. A mail that cannot be sent is
logged and never stops the step that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail

log = logging.getLogger(__name__)

FOOTER = "Diese Nachricht enthält absichtlich keine Angaben zu Personen oder Fällen.\n"


def enabled() -> bool:
    return bool(getattr(settings, "EMAIL_NOTIFICATIONS", False))


def link(path: str) -> str:
    return f"{getattr(settings, 'BASE_URL', '')}{path}"


def notify(users: Iterable, subject: str, what: str, path: str) -> int:
    """Mail `what` (one sentence about the event, no personal data) and the link to `path` to each
    active user with an e-mail address; returns the number of mails sent (0 while switched off)."""
    if not enabled():
        return 0
    sent = 0
    seen: set[str] = set()
    for user in users:
        address = (getattr(user, "email", "") or "").strip()
        if not address or not getattr(user, "is_active", False) or address in seen:
            continue
        seen.add(address)
        body = f"Guten Tag,\n\n{what}\n\nBitte sehen Sie in MISSIMO nach: {link(path)}\n\n{FOOTER}"
        try:
            send_mail(f"MISSIMO: {subject}", body, None, [address])
        except Exception:  # a notification never stops the step that caused it
            log.exception("notification %r to user %s failed", subject, getattr(user, "pk", None))
            continue
        sent += 1
    return sent

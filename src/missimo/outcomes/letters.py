"""Letters to agencies: drafted from templates by the coordination office, released in the four-eyes
principle (a second person, never the author), sent; the recipient agency sees a letter only once it
is released, and it names only the hints that agency works itself (data minimisation). A letter to
the owner of a case's property (Anhörung, Anordnung ...) names no hint; its address block comes from
the owner record (DIN 5008: name or company, street, PLZ Ort) and it is sent by post."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import Agency, User
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import notify
from missimo.outcomes import placeholders
from missimo.outcomes.defaults import OWNER_KIND
from missimo.outcomes.models import Letter, LetterEvent, LetterStatus, LetterTemplate
from missimo.outcomes.pdf import render_letter_pdf
from missimo.outcomes.services import (
    RULE_TITLES,
    Conflict,
    Refused,
    actor_name,
    sees_all_agencies,
    visible_cases,
)
from missimo.properties.models import Owner
from missimo.properties.owners import owners_for
from missimo.runs.models import Hint


def may_write_letters(user) -> bool:
    return policy.can(user, Capability.WRITE_LETTERS)


def may_see_letters(user) -> bool:
    """The coordination office; and the staff of an agency letters are addressed to."""
    return sees_all_agencies(user) or (
        policy.can(user, Capability.RECEIVE_LETTERS) and policy.receives_letters(user.agency)
    )


def letters_for(user) -> QuerySet[Letter]:
    """Coordination: every letter. A recipient agency: its released letters only."""
    if sees_all_agencies(user):
        return Letter.objects.all()
    if not may_see_letters(user):
        return Letter.objects.none()
    return Letter.objects.filter(
        recipient=user.agency_id, status__in=[LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT]
    )


def recipients() -> QuerySet[Agency]:
    return Agency.objects.filter(kind__in=policy.LETTER_RECIPIENT_KINDS).order_by("name")


def hints_for_recipient(case, agency: Agency) -> QuerySet[Hint]:
    """Data minimisation: only the case's hints the recipient agency works itself (accounts.policy)."""
    return case.hints.filter(policy.agency_hint_filter(agency.kind)).order_by("rule", "primary_ref")


def letter_values(case, agency: Agency, day: dt.date | None = None) -> dict[str, str]:
    day = day or timezone.localdate()
    hints = hints_for_recipient(case, agency)
    lines = [
        f"- {RULE_TITLES.get(h.rule, h.rule)} (Hinweis {h.hint_id}"
        + (f", Beleg {h.primary_ref})" if h.agency_kind == agency.kind else ")")
        for h in hints
    ]
    address = case.property.address if case.property_id else ""
    return {
        "aktenzeichen": case.aktenzeichen,
        "adresse": address,
        "hinweise": "\n".join(lines) or "(keine Hinweise in Ihrer Zuständigkeit)",
        "empfaenger": agency.name,
        "datum": f"{day:%d.%m.%Y}",
        "frist": f"{reply_due_from(day):%d.%m.%Y}",
    }


def _letter_event(letter: Letter, user, from_status: str, to_status: str, note: str = "") -> None:
    LetterEvent.objects.create(
        letter=letter,
        actor=user,
        actor_name=actor_name(user),
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _audit_letter(user, action, letter: Letter, purpose: str, request, **details) -> None:
    record(
        user,
        action,
        object_type="letter",
        object_id=letter.pk,
        purpose=purpose,
        details={
            "case": letter.case.aktenzeichen,
            "recipient": letter.recipient_name,
            "status": letter.status,
            "version": letter.version,
            **details,
        },
        request=request,
    )


def owner_of_case(user, case) -> Owner | None:
    """The owner record of the case's property, if the user may see owners (else None)."""
    if case.property_id is None or case.property.owner_id is None:
        return None
    return owners_for(user).filter(pk=case.property.owner_id).first()


def owner_letter_values(case, owner: Owner, day: dt.date | None = None) -> dict[str, str]:
    """A letter to an owner names the building and the case, never a hint (no person, no benefit)."""
    day = day or timezone.localdate()
    return {
        "aktenzeichen": case.aktenzeichen,
        "adresse": case.property.address if case.property_id else "",
        "hinweise": "",
        "empfaenger": owner.name,
        "datum": f"{day:%d.%m.%Y}",
        "frist": f"{reply_due_from(day):%d.%m.%Y}",
    }


def reply_due_from(day: dt.date) -> dt.date:
    """The date a template's {frist} names: REPLY_DAYS after the draft's day."""
    return day + dt.timedelta(days=placeholders.REPLY_DAYS)


def template_fits(template: LetterTemplate, *, to_owner: bool) -> bool:
    """Owner templates for owners, agency templates for agencies, templates without a kind for both."""
    if not template.recipient_kind:
        return True
    return (template.recipient_kind == OWNER_KIND) == to_owner


def draft_letter(user, case, recipient: Agency | Owner, template: LetterTemplate, *, request=None) -> Letter:
    """A draft from the template to an agency (only the hints it works itself) or to the owner of
    the case's property (no hint at all; the address block from the owner record)."""
    if not may_write_letters(user):
        raise Refused("Schreiben verfasst die Koordinierungsstelle.")
    if not visible_cases(user).filter(pk=case.pk).exists():
        raise Refused("Diesen Prüffall dürfen Sie nicht sehen.")
    to_owner = isinstance(recipient, Owner)
    if to_owner and (owner_of_case(user, case) is None or owner_of_case(user, case).pk != recipient.pk):
        raise Refused(
            "Ein Schreiben an einen Eigentümer geht nur an den Eigentümer des Objekts dieses Prüffalls."
        )
    if not template_fits(template, to_owner=to_owner):
        raise Refused(
            "Diese Vorlage ist für Schreiben an Behörden, nicht an Eigentümer."
            if to_owner
            else "Diese Vorlage ist für Schreiben an Eigentümer, nicht an Behörden."
        )
    day = timezone.localdate()
    values = owner_letter_values(case, recipient, day) if to_owner else letter_values(case, recipient, day)
    # A template that names a reply date ({frist}) sets it as the letter's "Antwort erwartet bis".
    asks_reply = "{frist}" in template.subject + template.body
    with transaction.atomic():
        letter = Letter.objects.create(
            case=case,
            recipient=None if to_owner else recipient,
            owner=recipient if to_owner else None,
            template=template,
            subject=placeholders.fill(template.subject, values)[:300],
            body=placeholders.fill(template.body, values),
            author=user,
            reply_due=reply_due_from(day) if asks_reply else None,
        )
        _letter_event(letter, user, "", LetterStatus.ENTWURF, f"aus der Vorlage „{template.name}“")
    _audit_letter(user, AuditAction.CREATE, letter, "Schreiben entworfen", request, template=template.name)
    return letter


def _locked(letter: Letter, version: int) -> Letter:
    current = Letter.objects.select_for_update().get(pk=letter.pk)
    if current.version != version:
        raise Conflict
    return current


def update_letter(
    user, letter: Letter, *, subject: str, body: str, version: int, reply_due=None, request=None
) -> Letter:
    """The author edits a draft (or a rejected letter, which becomes a draft again)."""
    with transaction.atomic():
        current = _locked(letter, version)
        if current.author_id != user.pk or not may_write_letters(user):
            raise Refused("Nur die Verfasserin oder der Verfasser kann das Schreiben ändern.")
        if current.status not in (LetterStatus.ENTWURF, LetterStatus.ZURUECKGEWIESEN):
            raise Refused("Das Schreiben kann nur als Entwurf geändert werden.")
        before = current.status
        current.subject, current.body = subject, body
        current.reply_due = reply_due
        current.status = LetterStatus.ENTWURF
        current.version += 1
        current.save()
        _letter_event(current, user, before, LetterStatus.ENTWURF, "Text geändert")
    _audit_letter(user, AuditAction.CHANGE, current, "Schreiben geändert", request)
    return current


def submit_letter(user, letter: Letter, *, version: int, request=None) -> Letter:
    with transaction.atomic():
        current = _locked(letter, version)
        if current.author_id != user.pk or not may_write_letters(user):
            raise Refused("Nur die Verfasserin oder der Verfasser gibt das Schreiben zur Freigabe.")
        if current.status != LetterStatus.ENTWURF:
            raise Refused("Nur ein Entwurf kann zur Freigabe gegeben werden.")
        current.status = LetterStatus.ZUR_FREIGABE
        current.submitted_at = timezone.now()
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.ENTWURF, LetterStatus.ZUR_FREIGABE)
    _audit_letter(user, AuditAction.CHANGE, current, "Schreiben zur Freigabe gegeben", request)
    notify.notify(
        (
            other
            for other in User.objects.filter(is_active=True).exclude(email="").exclude(pk=user.pk)
            if may_write_letters(other)
        ),
        "Schreiben wartet auf Freigabe",
        "In MISSIMO wartet ein Schreiben auf die Freigabe durch eine zweite Person der Koordinierungsstelle.",
        reverse("outcomes:letter", args=[current.pk]),
    )
    return current


def _require_second_person(user, letter: Letter) -> None:
    if not may_write_letters(user):
        raise Refused("Schreiben gibt nur die Koordinierungsstelle frei.")
    if letter.author_id == user.pk:
        raise Refused(
            "Vier-Augen-Prinzip: Sie haben dieses Schreiben verfasst. Eine zweite Person der "
            "Koordinierungsstelle muss es freigeben oder zurückweisen."
        )
    if letter.status != LetterStatus.ZUR_FREIGABE:
        raise Refused("Das Schreiben liegt nicht zur Freigabe vor.")


def approve_letter(user, letter: Letter, *, version: int, request=None) -> Letter:
    """Four-eyes release by a second person of the coordination office; audited as RELEASE."""
    with transaction.atomic():
        current = _locked(letter, version)
        _require_second_person(user, current)
        current.status = LetterStatus.FREIGEGEBEN
        current.approved_by = user
        current.approved_at = timezone.now()
        current.rejection_reason = ""
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.ZUR_FREIGABE, LetterStatus.FREIGEGEBEN)
    _audit_letter(
        user,
        AuditAction.RELEASE,
        current,
        "Schreiben im Vier-Augen-Prinzip freigegeben",
        request,
        author=current.author.get_username(),
    )
    return current


def reject_letter(user, letter: Letter, *, reason: str, version: int, request=None) -> Letter:
    if not reason.strip():
        raise Refused("Bitte geben Sie den Grund der Zurückweisung an.")
    with transaction.atomic():
        current = _locked(letter, version)
        _require_second_person(user, current)
        current.status = LetterStatus.ZURUECKGEWIESEN
        current.rejection_reason = reason.strip()
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.ZUR_FREIGABE, LetterStatus.ZURUECKGEWIESEN, reason.strip())
    _audit_letter(
        user, AuditAction.CHANGE, current, "Schreiben zurückgewiesen", request, reason=reason.strip()
    )
    return current


def mark_sent(user, letter: Letter, *, version: int, request=None) -> Letter:
    with transaction.atomic():
        current = _locked(letter, version)
        if not may_write_letters(user):
            raise Refused("Den Versand vermerkt die Koordinierungsstelle.")
        if current.status != LetterStatus.FREIGEGEBEN:
            raise Refused("Nur ein freigegebenes Schreiben kann versandt werden.")
        current.status = LetterStatus.VERSANDT
        current.sent_at = timezone.now()
        current.version += 1
        current.save()
        _letter_event(current, user, LetterStatus.FREIGEGEBEN, LetterStatus.VERSANDT)
    _audit_letter(user, AuditAction.RELEASE, current, "Schreiben an die Empfängerin übermittelt", request)
    return current


def letter_pdf(user, letter: Letter, *, request=None) -> bytes:
    """The PDF of a released letter (refused before approval)."""
    if not letter.released:
        raise Refused("Das PDF gibt es erst nach der Freigabe im Vier-Augen-Prinzip.")
    if not letters_for(user).filter(pk=letter.pk).exists():
        raise Refused("Dieses Schreiben dürfen Sie nicht sehen.")
    content = render_letter_pdf(letter)
    _audit_letter(user, AuditAction.EXPORT, letter, "PDF eines freigegebenen Schreibens abgerufen", request)
    return content


# --- templates --------------------------------------------------------------------------------


def save_template(user, template: LetterTemplate | None, data: dict, *, version: int = 0, request=None):
    if not may_write_letters(user):
        raise Refused("Vorlagen bearbeitet die Koordinierungsstelle.")
    fields = ("name", "subject", "body", "recipient_kind", "active")
    with transaction.atomic():
        if template is None:
            current = LetterTemplate(**{f: data[f] for f in fields if f in data})
            action = AuditAction.CREATE
        else:
            current = LetterTemplate.objects.select_for_update().get(pk=template.pk)
            if current.version != version:
                raise Conflict
            for field in fields:
                if field in data:
                    setattr(current, field, data[field])
            current.version += 1
            action = AuditAction.CHANGE
        current.updated_by_name = actor_name(user)
        current.save()
    record(
        user,
        action,
        object_type="letter_template",
        object_id=current.pk,
        purpose="Vorlage für Schreiben bearbeitet",
        details={"name": current.name, "version": current.version},
        request=request,
    )
    return current

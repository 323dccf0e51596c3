"""Named operations on Schulbescheinigungen: keys, issuing, revoking, verifying.

The cryptographic core is `missimo.certificates.signing` (no Django); this module keeps the
records, the keys (encrypted at rest) and the scope: a school issues only for its own pupils,
the Familienkasse verifies, the administration manages keys.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.certificates import scan, signing
from missimo.certificates.models import Certificate, Origin, SigningKey
from missimo.core.errors import Refused
from missimo.imports.services import current_snapshots

log = logging.getLogger(__name__)

SCHOOL_YEAR_FIRST_MONTH = 8  # NRW: the school year runs from 1 August to 31 July
SCHULNUMMER = re.compile(r"^\d{6}$")


class CertificateRefused(Refused):
    """An operation that is not allowed or not possible. One German message."""


class PupilNotFound(Exception):
    """No pupil with this id at the user's school (a view answers 404)."""


# --- scope -------------------------------------------------------------------------------


def school_of(user) -> Agency | None:
    """The school a user issues for: may issue certificates, agency of kind school with a six-digit number."""
    if not policy.can(user, Capability.ISSUE_CERTIFICATES):
        return None
    agency = user.agency
    if agency is None or agency.kind != AgencyKind.SCHULE or not SCHULNUMMER.match(agency.schulnummer or ""):
        return None
    return agency


def may_issue(user) -> bool:
    return school_of(user) is not None


def certificates_for(user) -> QuerySet[Certificate]:
    """Certificates visible to the user: those of their own school only."""
    school = school_of(user)
    if school is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(schulnummer=school.schulnummer).select_related("key", "issued_by")


# --- keys --------------------------------------------------------------------------------


def _wrapping_password(secret: str) -> bytes:
    digest = hashlib.sha256(b"missimo/schulbescheinigung/schluessel\x00" + secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest)


def _encrypt(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_wrapping_password(settings.SECRET_KEY)),
    )


def _decrypt(blob: bytes) -> Ed25519PrivateKey:
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            key = serialization.load_pem_private_key(bytes(blob), password=_wrapping_password(secret))
        except ValueError:
            continue
        if isinstance(key, Ed25519PrivateKey):
            return key
    raise CertificateRefused(
        "Der Signaturschlüssel der Schule kann nicht entschlüsselt werden (der geheime Schlüssel des "
        "Servers wurde geändert). Bitte lassen Sie den Schlüssel von der Administration erneuern."
    )


def active_key(schulnummer: str) -> SigningKey | None:
    return SigningKey.objects.filter(schulnummer=schulnummer, valid_until__isnull=True).first()


def _school_name(schulnummer: str, given: str | None) -> str:
    if given:
        return given
    agency = Agency.objects.filter(kind=AgencyKind.SCHULE, schulnummer=schulnummer).first()
    return agency.name if agency else f"Schule {schulnummer}"


def _new_key(schulnummer: str, school_name: str, user, today: date) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    number = SigningKey.objects.filter(schulnummer=schulnummer).count() + 1
    kid = f"SB-{schulnummer}-{number}"
    while SigningKey.objects.filter(kid=kid).exists():
        number += 1
        kid = f"SB-{schulnummer}-{number}"
    key = SigningKey.objects.create(
        kid=kid,
        schulnummer=schulnummer,
        school_name=school_name,
        public_key=signing.public_key_text(private),
        private_key_encrypted=_encrypt(private),
        valid_from=today,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    return key


def _check_schulnummer(schulnummer: str) -> str:
    schulnummer = (schulnummer or "").strip()
    if not SCHULNUMMER.match(schulnummer):
        raise CertificateRefused("Die Schulnummer hat sechs Ziffern.")
    return schulnummer


@transaction.atomic
def create_key(schulnummer: str, *, user=None, school_name: str | None = None, request=None) -> SigningKey:
    """The first signing key of a school. Refused if the school already has an active key."""
    schulnummer = _check_schulnummer(schulnummer)
    list(SigningKey.objects.select_for_update().filter(schulnummer=schulnummer))
    if active_key(schulnummer) is not None:
        raise CertificateRefused(
            f"Für die Schule {schulnummer} gibt es bereits einen gültigen Schlüssel; "
            "erneuern Sie ihn mit „Schlüssel wechseln“ (missimo certificate keys rotate)."
        )
    key = _new_key(schulnummer, _school_name(schulnummer, school_name), user, timezone.localdate())
    record(
        user,
        AuditAction.CREATE,
        object_type="signing_key",
        object_id=key.kid,
        purpose="Signaturschlüssel für Schulbescheinigungen angelegt",
        details={"schulnummer": schulnummer},
        request=request,
    )
    return key


@transaction.atomic
def rotate_key(schulnummer: str, *, user=None, school_name: str | None = None, request=None) -> SigningKey:
    """Replace a school's key: the old key signs nothing more from today (its certificates stay
    verifiable), a new key signs from today on."""
    schulnummer = _check_schulnummer(schulnummer)
    list(SigningKey.objects.select_for_update().filter(schulnummer=schulnummer))
    old = active_key(schulnummer)
    if old is None:
        raise CertificateRefused(
            f"Für die Schule {schulnummer} gibt es noch keinen Schlüssel; legen Sie zuerst einen an."
        )
    today = timezone.localdate()
    old.valid_until = today
    old.save(update_fields=["valid_until"])
    key = _new_key(schulnummer, school_name or old.school_name, user, today)
    record(
        user,
        AuditAction.CHANGE,
        object_type="signing_key",
        object_id=key.kid,
        purpose="Signaturschlüssel für Schulbescheinigungen gewechselt",
        details={"schulnummer": schulnummer, "replaced": old.kid},
        request=request,
    )
    return key


def published_key_list() -> dict[str, Any]:
    """Public keys with their validity and the revoked certificates (ids and dates only)."""
    keys = [
        {
            "kid": key.kid,
            "schulnummer": key.schulnummer,
            "school_name": key.school_name,
            "algorithm": "Ed25519",
            "public_key": key.public_key,
            "valid_from": key.valid_from.isoformat(),
            "valid_until": key.valid_until.isoformat() if key.valid_until else None,
        }
        for key in SigningKey.objects.order_by("schulnummer", "valid_from", "id")
    ]
    revoked = [
        {"id": certificate_id, "from": revoked_from.isoformat()}
        for certificate_id, revoked_from in Certificate.objects.filter(revoked_from__isnull=False)
        .order_by("certificate_id")
        .values_list("certificate_id", "revoked_from")
    ]
    return {
        "format": signing.KEYLIST_FORMAT,
        "version": 1,
        "issuer": f"MISSIMO {settings.CITY_NAME}",
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "keys": keys,
        "revoked": revoked,
    }


# --- pupils --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pupil:
    schulnummer: str
    schulname: str
    schueler_id: str
    nachname: str
    vorname: str
    geburtsdatum: date
    klasse: str
    aufnahmedatum: date
    entlassdatum: date | None

    def enrolled_on(self, day: date) -> bool:
        return self.aufnahmedatum <= day and (self.entlassdatum is None or self.entlassdatum > day)


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d.%m.%Y").date()


def _snapshot_rows(schulnummer: str) -> list[Pupil]:

    snapshot = current_snapshots().get("schule")
    if snapshot is None or not snapshot.path.exists():
        return []
    import pyarrow.parquet as pq

    wanted = [
        "Schulnummer",
        "Schulname",
        "Schueler_ID",
        "Nachname",
        "Vorname",
        "Geburtsdatum",
        "Klasse",
        "Aufnahmedatum",
        "Entlassdatum",
    ]
    schema = pq.read_schema(snapshot.path)
    columns = [c for c in wanted if c in schema.names]
    table = pq.read_table(snapshot.path, columns=columns, filters=[("Schulnummer", "=", schulnummer)])
    pupils = []
    for row in table.to_pylist():
        geburtsdatum, aufnahme = _as_date(row.get("Geburtsdatum")), _as_date(row.get("Aufnahmedatum"))
        if geburtsdatum is None or aufnahme is None:
            continue
        pupils.append(
            Pupil(
                schulnummer=str(row["Schulnummer"]),
                schulname=str(row.get("Schulname") or ""),
                schueler_id=str(row.get("Schueler_ID") or ""),
                nachname=str(row.get("Nachname") or ""),
                vorname=str(row.get("Vorname") or ""),
                geburtsdatum=geburtsdatum,
                klasse=str(row.get("Klasse") or ""),
                aufnahmedatum=aufnahme,
                entlassdatum=_as_date(row.get("Entlassdatum")),
            )
        )
    return pupils


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def search_pupils(user, query: str, limit: int = 50) -> list[Pupil]:
    """Pupils of the user's own school whose name or Schüler-ID matches (read from the current
    snapshot of the schools); the search is audit-logged."""
    school = school_of(user)
    if school is None:
        return []
    words = [_fold(w) for w in query.split() if w.strip()]
    if not words:
        return []
    found = [
        pupil
        for pupil in _snapshot_rows(school.schulnummer)
        if all(
            w in _fold(f"{pupil.nachname} {pupil.vorname}") or w == _fold(pupil.schueler_id) for w in words
        )
    ]
    found.sort(key=lambda p: (_fold(p.nachname), _fold(p.vorname), p.geburtsdatum))
    record(
        user,
        AuditAction.READ,
        object_type="schule_snapshot",
        object_id=school.schulnummer,
        purpose="Suche einer Schülerin/eines Schülers für eine Schulbescheinigung",
        details={"results": len(found)},
    )
    return found[:limit]


def pupil_of_school(user, schueler_id: str) -> Pupil:
    school = school_of(user)
    if school is None:
        raise PupilNotFound
    for pupil in _snapshot_rows(school.schulnummer):
        if pupil.schueler_id == schueler_id:
            return pupil
    raise PupilNotFound


# --- issuing -------------------------------------------------------------------------------


def school_year(day: date) -> tuple[str, date]:
    """The school year containing `day` ("2026/27") and its last day (31 July)."""
    first = day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}", date(first + 1, 7, 31)


def _new_certificate_id() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _not_enrolled_message(pupil: Pupil, today: date) -> str:
    name = f"{pupil.vorname} {pupil.nachname}"
    if pupil.aufnahmedatum > today:
        return (
            f"{name} ist noch nicht Schülerin oder Schüler Ihrer Schule (Aufnahme am "
            f"{pupil.aufnahmedatum:%d.%m.%Y}); eine Schulbescheinigung kann nicht ausgestellt werden."
        )
    return (
        f"{name} ist nicht mehr Schülerin oder Schüler Ihrer Schule (entlassen am "
        f"{pupil.entlassdatum:%d.%m.%Y}); eine Schulbescheinigung kann nicht ausgestellt werden."
    )


def _issue(user, pupil: Pupil, origin: str, request=None) -> Certificate:
    school = school_of(user)
    if school is None:
        raise CertificateRefused("Schulbescheinigungen stellen nur Schulen für ihre eigenen Schüler aus.")
    if pupil.schulnummer != school.schulnummer:
        raise PupilNotFound
    today = timezone.localdate()
    if not pupil.enrolled_on(today):
        raise CertificateRefused(_not_enrolled_message(pupil, today))
    schuljahr, year_end = school_year(today)
    valid_until = year_end
    if pupil.entlassdatum is not None:
        valid_until = min(valid_until, pupil.entlassdatum - timedelta(days=1))
    with transaction.atomic():
        # Locked: a key change waits until this certificate is signed and stored.
        key = (
            SigningKey.objects.select_for_update()
            .filter(schulnummer=school.schulnummer, valid_until__isnull=True)
            .first()
        )
        if key is None:
            raise CertificateRefused(
                "Für Ihre Schule ist noch kein Signaturschlüssel eingerichtet; bitte wenden Sie sich an "
                "die Administration."
            )
        private = _decrypt(key.private_key_encrypted)
        certificate_id = _new_certificate_id()
        payload = signing.make_payload(
            certificate_id=certificate_id,
            key_id=key.kid,
            schulnummer=school.schulnummer,
            nachname=pupil.nachname,
            vorname=pupil.vorname,
            geburtsdatum=pupil.geburtsdatum,
            schuljahr=schuljahr,
            issued_on=today,
            valid_until=valid_until,
        )
        certificate = Certificate.objects.create(
            certificate_id=certificate_id,
            key=key,
            agency=school,
            schulnummer=school.schulnummer,
            school_name=pupil.schulname or school.name,
            schueler_id=pupil.schueler_id,
            nachname=pupil.nachname,
            vorname=pupil.vorname,
            geburtsdatum=pupil.geburtsdatum,
            klasse=pupil.klasse,
            aufnahmedatum=pupil.aufnahmedatum,
            origin=origin,
            schuljahr=schuljahr,
            issued_on=today,
            valid_until=valid_until,
            token=signing.sign(payload, private),
            issued_by=user,
        )
    record(
        user,
        AuditAction.CREATE,
        object_type="schulbescheinigung",
        object_id=certificate.certificate_id,
        purpose="Schulbescheinigung ausgestellt",
        details={"schulnummer": school.schulnummer, "origin": origin, "key": key.kid},
        request=request,
    )
    return certificate


def issue_from_snapshot(user, schueler_id: str, request=None) -> Certificate:
    """Issue for a pupil of the current snapshot of the schools (only the user's own school)."""
    return _issue(user, pupil_of_school(user, schueler_id), Origin.SNAPSHOT, request)


def issue_manual(
    user,
    *,
    nachname: str,
    vorname: str,
    geburtsdatum: date,
    aufnahmedatum: date,
    entlassdatum: date | None = None,
    klasse: str = "",
    schueler_id: str = "",
    request=None,
) -> Certificate:
    """Issue from data the school enters by hand (a pupil not yet in the delivered data). Refused
    if the current snapshot says this pupil has left the school."""
    school = school_of(user)
    if school is None:
        raise CertificateRefused("Schulbescheinigungen stellen nur Schulen für ihre eigenen Schüler aus.")
    pupil = Pupil(
        schulnummer=school.schulnummer,
        schulname=school.name,
        schueler_id=schueler_id.strip(),
        nachname=nachname.strip(),
        vorname=vorname.strip(),
        geburtsdatum=geburtsdatum,
        klasse=klasse.strip(),
        aufnahmedatum=aufnahmedatum,
        entlassdatum=entlassdatum,
    )
    today = timezone.localdate()
    for known in _snapshot_rows(school.schulnummer):
        if _same_pupil(known, pupil) and not known.enrolled_on(today) and known.aufnahmedatum <= today:
            raise CertificateRefused(
                _not_enrolled_message(known, today) + " (So steht es im aktuellen Datenstand der Schulen.)"
            )
    return _issue(user, pupil, Origin.MANUAL, request)


def _same_pupil(a: Pupil, b: Pupil) -> bool:
    if a.schueler_id and b.schueler_id:
        return a.schueler_id == b.schueler_id
    return (
        _fold(a.nachname) == _fold(b.nachname)
        and _fold(a.vorname) == _fold(b.vorname)
        and a.geburtsdatum == b.geburtsdatum
    )


def record_list(user, count: int, request=None) -> None:
    record(
        user,
        AuditAction.READ,
        object_type="schulbescheinigung_liste",
        object_id=getattr(school_of(user), "schulnummer", ""),
        purpose="Liste der ausgestellten Schulbescheinigungen",
        details={"shown": count},
        request=request,
    )


def record_read(user, certificate: Certificate, request=None) -> None:
    record(
        user,
        AuditAction.READ,
        object_type="schulbescheinigung",
        object_id=certificate.certificate_id,
        purpose="Ansicht einer ausgestellten Schulbescheinigung",
        request=request,
    )


def record_download(user, certificate: Certificate, request=None) -> None:
    record(
        user,
        AuditAction.EXPORT,
        object_type="schulbescheinigung",
        object_id=certificate.certificate_id,
        purpose="Schulbescheinigung als PDF ausgegeben",
        request=request,
    )


# --- revocation ----------------------------------------------------------------------------


def revoke(user, certificate: Certificate, reason: str, *, request=None) -> Certificate:
    """The school revokes one of its certificates from today."""
    if school_of(user) is None or certificate.schulnummer != school_of(user).schulnummer:
        raise PupilNotFound
    if certificate.is_revoked:
        raise CertificateRefused("Diese Bescheinigung ist bereits widerrufen.")
    reason = reason.strip() or "von der Schule widerrufen"
    Certificate.objects.filter(pk=certificate.pk).update(
        revoked_from=timezone.localdate(), revoked_reason=reason[:300], revoked_by=user
    )
    certificate.refresh_from_db()
    record(
        user,
        AuditAction.CHANGE,
        object_type="schulbescheinigung",
        object_id=certificate.certificate_id,
        purpose="Schulbescheinigung widerrufen",
        details={"reason": reason[:300]},
        request=request,
    )
    return certificate


def revoke_for_departed_pupils(today: date | None = None) -> int | None:
    """After a new delivery of the schools: revoke every certificate whose pupil has an
    Entlassdatum within the certificate's validity (from that date on). Never raises; a failure
    is logged and the import stands. Returns the number revoked (None on failure)."""
    try:
        return _revoke_departed(today or timezone.localdate())
    except Exception:
        log.exception("Widerruf von Schulbescheinigungen nach der Lieferung der Schulen fehlgeschlagen")
        return None


def _revoke_departed(today: date) -> int:
    open_certificates = Certificate.objects.filter(revoked_from__isnull=True, valid_until__gte=today)
    revoked = 0
    by_school: dict[str, list[Pupil]] = {}
    for certificate in open_certificates.order_by("schulnummer", "id"):
        if certificate.schulnummer not in by_school:
            by_school[certificate.schulnummer] = _snapshot_rows(certificate.schulnummer)
        wanted = Pupil(
            certificate.schulnummer,
            certificate.school_name,
            certificate.schueler_id,
            certificate.nachname,
            certificate.vorname,
            certificate.geburtsdatum,
            certificate.klasse,
            certificate.aufnahmedatum,
            None,
        )
        for pupil in by_school[certificate.schulnummer]:
            if (
                _same_pupil(pupil, wanted)
                and pupil.entlassdatum is not None
                and pupil.entlassdatum <= certificate.valid_until
            ):
                Certificate.objects.filter(pk=certificate.pk, revoked_from__isnull=True).update(
                    revoked_from=max(pupil.entlassdatum, certificate.issued_on),
                    revoked_reason=f"Entlassung aus der Schule am {pupil.entlassdatum:%d.%m.%Y} "
                    "(Lieferung der Schulen)",
                )
                revoked += 1
                break
    if revoked:
        record(
            None,
            AuditAction.CHANGE,
            object_type="schulbescheinigung",
            purpose="Schulbescheinigungen nach Entlassung widerrufen",
            details={"revoked": revoked},
        )
    return revoked


# --- verification ----------------------------------------------------------------------------


def verify_online(user, *, text: str = "", pdf: bytes | None = None, request=None) -> signing.Verification:
    """Check a certificate against the current keys and revocations: the QR content as text, the
    issued PDF (token in its metadata), or a scan or photo of the paper (`pdf` holds any uploaded
    file; the QR code is then read from the image). Raises scan.ScanError for an unreadable file."""
    channel = "text"
    if pdf is None:
        token = signing.find_token(text.encode("utf-8"))
    else:
        channel, token = "pdf", signing.find_token(pdf)
        if token is None:  # a scan or photo of the paper: read the QR code from the image
            channel, token = "scan", scan.token_from_image(pdf)
    if token is None and pdf is not None:
        result = signing.unreadable_scan()
    else:
        result = signing.verify(token or text, published_key_list(), timezone.localdate())
    record(
        user,
        AuditAction.READ,
        object_type="schulbescheinigung",
        object_id=result.certificate_id,
        purpose="Prüfung einer Schulbescheinigung",
        details={"result": result.code, "channel": channel},
        request=request,
    )
    return result

"""Videoident: a caseworker checks a citizen's ID document on camera, step by step, and
records the result on the citizen's account (``identity.services.videoident_record``).

Seeing a document on a screen is weaker than reading its chip: in 2022 the Chaos Computer
Club deceived six commercial video identification services with forged ID cards. So it is
off unless the city switches it on (``Municipality.videoident_enabled``), it reaches at
most the trust level *substantial* — never *high* — and every step of the checklist below
must be confirmed::

    videoident(call, caseworker=user, document_type="id-card",
               checks={check.key: True for check in VIDEOIDENT_CHECKS})
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buergerbuero.core.selectors import municipality_get
from buergerbuero.identity.models import IdentityVerification
from buergerbuero.identity.services import videoident_record
from buergerbuero.identity.trust import TrustLevel

from .models import Call

DocumentType = IdentityVerification.DocumentType


@dataclass(frozen=True)
class Check:
    """One step of the checklist: what the caseworker confirms, and how to check it."""

    key: str
    label: Promise
    hint: Promise


VIDEOIDENT_CHECKS: tuple[Check, ...] = (
    Check(
        "face",
        gettext_lazy("Das Foto im Ausweis zeigt die Person vor der Kamera."),
        gettext_lazy(
            "Gesicht, Augenabstand, Ohren und Alter vergleichen; bitten Sie die Person, den "
            "Kopf zu drehen und näher an die Kamera zu kommen."
        ),
    ),
    Check(
        "front_back",
        gettext_lazy("Vorder- und Rückseite des Dokuments wurden vor die Kamera gehalten."),
        gettext_lazy("Ganz im Bild, scharf, ohne Finger über Foto oder Daten."),
    ),
    Check(
        "hologram",
        gettext_lazy("Hologramm bzw. Kinegramm verändert sich beim Kippen."),
        gettext_lazy("Die Person kippt das Dokument langsam vor der Kamera."),
    ),
    Check(
        "colour",
        gettext_lazy("Das Farbkippelement (OVI) wechselt beim Kippen die Farbe."),
        gettext_lazy("Beim Personalausweis z. B. die Zahl oder das Symbol mit Farbwechsel."),
    ),
    Check(
        "relief",
        gettext_lazy("Das gelaserte Foto und die fühlbare Prägung sind im Streiflicht zu sehen."),
        gettext_lazy("Die Person hält das Dokument schräg zum Licht."),
    ),
    Check(
        "data",
        gettext_lazy("Name und Geburtsdatum stimmen mit den Kontodaten überein."),
        gettext_lazy("Vergleichen Sie mit den Kontodaten neben dieser Liste."),
    ),
    Check(
        "valid",
        gettext_lazy("Das Dokument ist gültig (Ablaufdatum nicht überschritten)."),
        gettext_lazy("Ein abgelaufenes Dokument genügt nicht."),
    ),
    Check(
        "alone",
        gettext_lazy("Die Person ist allein und liest nicht von einer Vorlage ab."),
        gettext_lazy(
            "Achten Sie auf Blicke zur Seite, Stimmen im Raum und abgelesene Antworten. "
            "Bei Zweifeln brechen Sie ab."
        ),
    ),
)


class VideoidentRefused(Exception):
    """The identification cannot be recorded; ``message`` says why, in German."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def videoident(call: Call, *, caseworker, document_type: str, checks: dict) -> IdentityVerification:
    """Record that ``caseworker`` identified the call's citizen by their ID document.

    Raises :class:`VideoidentRefused` unless the city enabled Videoident, the citizen is
    logged in, ``caseworker`` holds this call and it is still going on, and every check of
    :data:`VIDEOIDENT_CHECKS` is confirmed. The level reached is *substantial*."""
    if not municipality_get().videoident_enabled:
        raise VideoidentRefused(_("Videoident ist in dieser Stadt nicht freigeschaltet."))
    if call.caseworker_id != caseworker.pk:
        raise VideoidentRefused(
            _("Nur die Sachbearbeitung dieses Gesprächs kann die Identität feststellen.")
        )
    if not call.is_open:
        raise VideoidentRefused(
            _(
                "Das Gespräch ist beendet. Die Identität lässt sich nur im laufenden Gespräch "
                "feststellen."
            )
        )
    citizen = call.knock.user
    if citizen is None:
        raise VideoidentRefused(
            _(
                "Die Person ist nicht angemeldet. Videoident hebt das Vertrauensniveau eines "
                "Kontos an; dafür muss sie sich vor dem Anklopfen anmelden."
            )
        )
    missing = [str(check.label) for check in VIDEOIDENT_CHECKS if checks.get(check.key) is not True]
    if missing:
        raise VideoidentRefused(
            _("Bitte bestätigen Sie alle Prüfschritte. Offen: %(steps)s")
            % {"steps": " ".join(missing)}
        )
    if document_type not in DocumentType.values:
        raise VideoidentRefused(_("Bitte wählen Sie die Art des Ausweisdokuments."))
    try:
        return videoident_record(
            caseworker=caseworker,
            citizen=citizen,
            document_type=document_type,
            level=TrustLevel.SUBSTANTIAL,
        )
    except PermissionDenied:
        raise VideoidentRefused(
            _(
                "Ihr Konto darf keine Identitätsprüfung festhalten (Berechtigung „Identität "
                "per Video prüfen und festhalten“). Bitte wenden Sie sich an die Administration."
            )
        ) from None

"""Why a SAML login was refused: one reason each, with what the citizen reads and the
code the operator finds in the log (``saml login refused: reason=<code>``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# code: (what happened, what to do) — German, for the citizen.
REASONS = {
    "signature": (
        _("Die Antwort des Anmeldedienstes trug keine gültige Signatur."),
        _(
            "Wir haben die Anmeldung aus Sicherheitsgründen nicht angenommen. Bitte melden "
            "Sie sich noch einmal an. Bleibt der Fehler, wenden Sie sich an die Stadtverwaltung."
        ),
    ),
    "decrypt": (
        _("Die Antwort des Anmeldedienstes ließ sich nicht entschlüsseln."),
        _(
            "Bitte melden Sie sich noch einmal an. Bleibt der Fehler, wenden Sie sich an die "
            "Stadtverwaltung."
        ),
    ),
    "expired": (
        _("Die Anmeldung ist abgelaufen oder noch nicht gültig."),
        _(
            "Anmeldungen gelten nur wenige Minuten. Bitte melden Sie sich noch einmal an. "
            "Geht die Uhr Ihres Geräts stark falsch, stellen Sie sie bitte richtig."
        ),
    ),
    "replay": (
        _("Diese Anmeldung wurde bereits verwendet."),
        _(
            "Jede Anmeldung gilt nur einmal, zum Beispiel nach dem Zurückblättern im Browser. "
            "Bitte melden Sie sich noch einmal an."
        ),
    ),
    "audience": (
        _("Die Anmeldung war für einen anderen Dienst bestimmt."),
        _("Bitte starten Sie die Anmeldung hier im Bürgerbüro noch einmal."),
    ),
    "unsolicited": (
        _("Zu dieser Anmeldung gibt es keine Anfrage aus diesem Browser."),
        _(
            "Vielleicht haben Sie die Anmeldung in einem anderen Fenster begonnen oder zu lange "
            "gewartet. Bitte starten Sie die Anmeldung hier noch einmal."
        ),
    ),
    "level": (
        _("Das Vertrauensniveau Ihrer Anmeldung reicht für diesen Dienst nicht aus."),
        _(
            "Dieser Dienst verlangt eine sicherere Anmeldung, zum Beispiel mit der "
            "Online-Ausweisfunktion. Bitte melden Sie sich noch einmal an und wählen Sie dort "
            "eine solche Anmeldeart."
        ),
    ),
    "attribute_level": (
        _("Ihre Angaben zur Person sind nicht ausreichend geprüft."),
        _(
            "Name oder Geburtsdatum wurden bei der Anmeldung nicht mit dem verlangten "
            "Vertrauensniveau bestätigt. Bitte melden Sie sich mit der Online-Ausweisfunktion "
            "an."
        ),
    ),
    "incomplete": (
        _("Der Anmeldedienst hat nicht alle nötigen Angaben übermittelt."),
        _("Bitte melden Sie sich noch einmal an und geben Sie die Daten dort frei."),
    ),
    "cancelled": (
        _("Die Anmeldung wurde abgebrochen."),
        _(
            "Sie sind nicht angemeldet. Sie können es erneut versuchen oder ohne Anmeldung "
            "weitermachen."
        ),
    ),
    "no_level": (
        _("Die Anmeldeart konnte das verlangte Vertrauensniveau nicht liefern."),
        _("Bitte melden Sie sich noch einmal an und wählen Sie die Online-Ausweisfunktion."),
    ),
    "idp_error": (
        _("Der Anmeldedienst hat die Anmeldung nicht abgeschlossen."),
        _("Bitte versuchen Sie es später noch einmal."),
    ),
    "missing": (
        _("Wir haben keine Antwort des Anmeldedienstes erhalten oder sie ist abgelaufen."),
        _("Bitte starten Sie die Anmeldung noch einmal."),
    ),
    "too_many": (
        _("Von Ihrem Anschluss kamen in kurzer Zeit sehr viele Anmeldeantworten."),
        _("Bitte warten Sie ein paar Minuten und melden Sie sich dann noch einmal an."),
    ),
    "invalid": (
        _("Die Antwort des Anmeldedienstes war nicht gültig."),
        _(
            "Bitte melden Sie sich noch einmal an. Bleibt der Fehler, wenden Sie sich an die "
            "Stadtverwaltung."
        ),
    ),
    "account": (
        _("Die Anmeldung ist für dieses Konto nicht möglich."),
        _("Bitte lesen Sie den Hinweis oben."),
    ),
}


class SamlRefused(Exception):
    """A login or logout message was not accepted. ``code`` is one of :data:`REASONS`;
    ``detail`` is for the operator's log (never personal data or message content)."""

    def __init__(
        self, code: str, detail: str = "", *, message=None, next_url: str = "/", level: str = ""
    ):
        super().__init__(code)
        self.code = code if code in REASONS else "invalid"
        self.detail = detail
        self.message = message  # overrides REASONS' first line (account refusals)
        self.next_url = next_url
        self.level = level

    @property
    def what(self):
        return self.message or REASONS[self.code][0]

    @property
    def todo(self):
        return REASONS[self.code][1]

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.organisation.models import Department

from .trust import LoginMethod, TrustLevel


class User(AbstractUser):
    """Every person who logs in: citizens, caseworkers, administrators.

    A citizen's contact data prefill application forms (visibly marked). A citizen may log
    in by local account, BundID or the city's own identity provider; the external logins
    are :class:`ExternalIdentity` rows. A caseworker works for one or more departments and
    sees only their cases; a team lead leads some of them.
    """

    birth_date = models.DateField(_("Geburtsdatum"), null=True, blank=True)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postcode = models.CharField(_("Postleitzahl"), max_length=5, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    email_verified_at = models.DateTimeField(
        _("E-Mail-Adresse bestätigt am"), null=True, blank=True
    )
    verified_level = models.CharField(
        _("Geprüftes Vertrauensniveau"),
        max_length=12,
        choices=TrustLevel.choices,
        default=TrustLevel.LOW,
        help_text=_(
            "Wird durch eine Identitätsprüfung per Video angehoben; gilt bei Anmeldung mit "
            "zweitem Faktor."
        ),
    )
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="staff",
        verbose_name=_("Ämter"),
        help_text=_("Sachbearbeitung sieht nur die Vorgänge dieser Ämter."),
    )
    led_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="leads",
        verbose_name=_("Teamleitung für"),
        help_text=_("Teamleitungen verteilen Vorgänge und geben Entscheidungen frei."),
    )

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")
        permissions = [
            ("crisis_access", _("Krisenstab: Zugriff auf Evakuierungsplanung")),
            ("record_videoident", _("Identität per Video prüfen und festhalten")),
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def works_in_back_office(self) -> bool:
        """Caseworker or team lead of at least one department (staff/roles.py decides)."""
        from .staff.roles import works_in_any

        return works_in_any(self)


class ExternalIdentity(models.Model):
    """One way in from outside: a BundID (keyed by its bPK2 pseudonym), an account at the
    city's OpenID Connect provider (keyed by issuer and ``sub``), the development IdP."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("Konto"),
    )
    method = models.CharField(_("Anmeldeweg"), max_length=12, choices=LoginMethod.choices)
    provider = models.CharField(
        _("Anbieter"), max_length=200, help_text=_("Entity-ID des IdP oder OIDC-Issuer.")
    )
    subject = models.CharField(
        _("Kennung"), max_length=255, help_text=_("bPK2 bei BundID, »sub« bei OpenID Connect.")
    )
    last_level = models.CharField(
        _("Zuletzt geliefertes Vertrauensniveau"),
        max_length=12,
        choices=TrustLevel.choices,
        default=TrustLevel.LOW,
    )
    has_inbox = models.BooleanField(
        _("Hat ein Postfach"),
        default=False,
        help_text=_("BundID: Gastzugänge ohne Postfach erhalten Nachrichten nur per E-Mail."),
    )
    created_at = models.DateTimeField(_("Verknüpft am"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("Zuletzt angemeldet"), null=True, blank=True)

    class Meta:
        verbose_name = _("Externe Anmeldung")
        verbose_name_plural = _("Externe Anmeldungen")
        constraints = [
            models.UniqueConstraint(
                fields=["method", "provider", "subject"], name="external_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.user}"


class IdentityVerification(models.Model):
    """A caseworker checked a citizen's identity against an ID document (by video)."""

    class DocumentType(models.TextChoices):
        ID_CARD = "id-card", _("Personalausweis")
        PASSPORT = "passport", _("Reisepass")
        RESIDENCE_PERMIT = "residence-permit", _("Elektronischer Aufenthaltstitel")
        EU_ID = "eu-id", _("Ausweis eines EU-/EWR-Staats")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="identity_verifications",
        verbose_name=_("Konto"),
    )
    method = models.CharField(_("Verfahren"), max_length=20, default="videoident")
    level = models.CharField(_("Vertrauensniveau"), max_length=12, choices=TrustLevel.choices)
    document_type = models.CharField(
        _("Ausweisdokument"), max_length=20, choices=DocumentType.choices
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("Geprüft von"),
    )
    verified_by_name = models.CharField(max_length=150)
    verified_at = models.DateTimeField(_("Geprüft am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Identitätsprüfung")
        verbose_name_plural = _("Identitätsprüfungen")
        ordering = ["-verified_at"]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()}: {self.user} ({self.verified_at:%Y-%m-%d})"


class SeenAssertion(models.Model):
    """SAML assertion IDs already used (replay cache). A unique row per ID: a second use
    fails on the constraint, atomically, across processes and machines."""

    assertion_id = models.CharField(max_length=255, unique=True)
    issuer = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.assertion_id

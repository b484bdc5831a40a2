from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from buergerbuero.organisation.models import Department


class User(AbstractUser):
    """Every person who logs in: citizens, caseworkers, administrators.

    A citizen's contact data prefill application forms (visibly marked); login methods and
    trust levels follow with issue 5. A caseworker works for one or more departments and
    sees only their cases.
    """

    birth_date = models.DateField(_("Geburtsdatum"), null=True, blank=True)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    postcode = models.CharField(_("Postleitzahl"), max_length=5, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="staff",
        verbose_name=_("Ämter"),
        help_text=_("Sachbearbeitung sieht nur die Vorgänge dieser Ämter."),
    )

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_caseworker(self) -> bool:
        return self.is_active and self.is_staff and self.departments.exists()

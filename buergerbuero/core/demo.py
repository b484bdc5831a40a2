"""The Stadt Köln demo: city, catalog, customer centres, pages and demo accounts.

Loading is idempotent (everything is upserted by slug or user name). Demo accounts are
created only where ``settings.DEMO_MODE`` is on, i.e. on the embedded SQLite default —
never on a production database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from buergerbuero.applications.services import definition_import
from buergerbuero.appointments.demo import demo_load_appointments
from buergerbuero.catalog.services import catalog_import
from buergerbuero.identity.staff.roles import (
    CASEWORKERS,
    CASH_OFFICE,
    CATALOG_EDITORS,
    CRISIS_STAFF,
    roles_ensure,
)
from buergerbuero.organisation.models import CustomerCentre, Department
from buergerbuero.organisation.services import customer_centre_upsert
from buergerbuero.pages.services import page_upsert
from buergerbuero.payments.demo import demo_references_load
from buergerbuero.tickets.demo import demo_load_tickets
from buergerbuero.videooffice.demo import demo_load_offices

from .models import Municipality

logger = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent
CATALOG_DIR = PACKAGE / "catalog" / "demo" / "koeln"
CENTRES_FILE = PACKAGE / "organisation" / "demo" / "koeln" / "customer_centres.json"
PAGES_FILE = PACKAGE / "pages" / "demo" / "koeln" / "pages.json"
FORMS_DIR = PACKAGE / "applications" / "demo" / "koeln" / "forms"

# name, password, description (as listed in README.md)
DEMO_ACCOUNTS = [
    ("admin", "koeln-admin", "Administration (alle Rechte)"),
    ("katalog", "koeln-katalog", "Katalogpflege (Leistungen, Seiten, Kundenzentren)"),
    ("buerger", "koeln-buerger", "Bürger Mehmet Yılmaz, Venloer Straße 123, Köln-Ehrenfeld"),
    ("becker", "koeln-becker", "Sachbearbeiterin Petra Becker: Steueramt und Kundenzentren"),
    ("schulz", "koeln-schulz", "Sachbearbeiter Jan Schulz: Steueramt (zweite Person, vier Augen)"),
    (
        "kasse",
        "koeln-kasse",
        "Sabine Krüger, Stadtkasse: Kontoauszüge, Lastschriften, Erstattungen",
    ),
    (
        "leitung",
        "koeln-leitung",
        "Teamleiterin Anna Hoffmann: leitet das Steueramt (verteilt Vorgänge, gibt frei)",
    ),
    ("okafor", "koeln-okafor", "Daniel Okafor, Schalter im Kundenzentrum Kalk"),
    (
        "krisenstab",
        "koeln-krisenstab",
        "Krisenstab Uwe Krämer: Evakuierungsplanung, keine Vorgänge",
    ),
]
# Besides becker and schulz, one caseworker per department: sb-<department> / koeln-sb.
CASEWORKER_PASSWORD = "koeln-sb"  # noqa: S105 (demo only, documented in README)
NAMED_CASEWORKERS = {
    "becker": ("Petra", "Becker", ["steueramt", "kundenzentren"]),
    "schulz": ("Jan", "Schulz", ["steueramt"]),
}
# Team leads: (first name, last name, departments led). A team lead also works the cases
# of the departments they lead.
TEAM_LEADS = {"leitung": ("Anna", "Hoffmann", ["steueramt"])}
# Counter staff: (first name, last name, customer centres worked at).
CENTRE_STAFF = {"okafor": ("Daniel", "Okafor", ["kundenzentrum-kalk"])}


class DemoDataError(Exception):
    pass


def _read(path: Path):
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def demo_catalog_document() -> dict:
    """base.json (departments, topics) plus every services-*.json, as one document."""
    document = _read(CATALOG_DIR / "base.json")
    for part in sorted(CATALOG_DIR.glob("services-*.json")):
        document["services"].extend(_read(part)["services"])
    return document


@transaction.atomic
def demo_load() -> dict[str, int]:
    municipality = Municipality.objects.first() or Municipality()
    municipality.name = "Stadt Köln"
    municipality.short_name = "Köln"
    municipality.primary_colour = "#1d4f91"
    municipality.contact_email = "buergerbuero@stadt-koeln.de"
    municipality.contact_phone = "0221 221-0"
    municipality.contact_address = "Rathausplatz 2\n50667 Köln"
    municipality.website = "https://www.stadt-koeln.de/"
    municipality.accessibility_email = "barrierefreiheit@stadt-koeln.de"
    municipality.administrative_court = "Verwaltungsgericht Köln, Appellhofplatz, 50667 Köln"
    # A valid but made-up account (the IBAN of the standard's examples) and the creditor
    # id the Bundesbank publishes for tests: nothing can be paid to them.
    municipality.cash_office_name = "Stadtkasse Köln"
    municipality.cash_office_iban = "DE89370400440532013000"
    municipality.cash_office_bic = "COBADEFFXXX"
    municipality.sepa_creditor_id = "DE98ZZZ09999999999"
    # Off by default (see the field's help text); the demo shows it, so it is on here.
    municipality.videoident_enabled = True
    municipality.save()

    result = catalog_import(data=demo_catalog_document())
    if not result.ok:
        raise DemoDataError("\n".join(str(p) for p in result.problems))
    centres = [customer_centre_upsert(data=d) for d in _read(CENTRES_FILE)["customer_centres"]]
    pages = [page_upsert(**p) for p in _read(PAGES_FILE)["pages"]]
    forms = [definition_import(_read(path))[0] for path in sorted(FORMS_DIR.glob("*.json"))]
    roles_ensure()  # the role groups exist in production too (manage.py roles_ensure)
    accounts = demo_accounts_create() if settings.DEMO_MODE else 0
    references = demo_references_load()
    offices = demo_load_offices()  # after the accounts: assigns becker, schulz, sb-<department>
    service_groups = demo_load_tickets()  # after the centres and the catalog
    bookable_services = demo_load_appointments()  # after the centres and the catalog
    counts = {
        "services": result.created + result.updated,
        "customer_centres": len(centres),
        "pages": len(pages),
        "forms": len(forms),
        "accounts": accounts,
        "payment_references": references,
        "video_offices": offices,
        "service_groups": service_groups,
        "bookable_services": bookable_services,
    }
    logger.info("demo data loaded: %s", counts)
    return counts


def demo_accounts_create() -> int:
    if not settings.DEMO_MODE:
        raise DemoDataError("Demo accounts exist only on the embedded default (DEMO_MODE).")
    roles_ensure()  # the groups and their permissions (staff/roles.py)
    editors = Group.objects.get(name=CATALOG_EDITORS)
    caseworkers = Group.objects.get(name=CASEWORKERS)
    cash_office = Group.objects.get(name=CASH_OFFICE)
    crisis_staff = Group.objects.get(name=CRISIS_STAFF)
    User = get_user_model()
    for username, password, _description in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = username != "buerger"
        user.is_superuser = username == "admin"
        user.set_password(password)
        if username == "buerger":
            user.first_name, user.last_name = "Mehmet", "Yılmaz"
            user.email = "mehmet.yilmaz@example.org"
            user.street, user.postcode, user.city = "Venloer Straße 123", "50823", "Köln"
            user.phone = "0221 5550123"
            user.birth_date = dt.date(1985, 4, 12)
            user.email_verified_at = user.email_verified_at or timezone.now()
        user.save()
        if username == "katalog":
            user.groups.set([editors])
        if username == "kasse":
            user.first_name, user.last_name = "Sabine", "Krüger"
            user.email = "kasse@stadt-koeln.example"
            user.save()
            user.groups.set([cash_office])
        if username in NAMED_CASEWORKERS:
            first, last, departments = NAMED_CASEWORKERS[username]
            user.first_name, user.last_name = first, last
            user.email = f"{username}@stadt-koeln.example"
            user.save()
            user.groups.set([caseworkers])
            user.departments.set(Department.objects.filter(slug__in=departments))
        if username in TEAM_LEADS:
            first, last, led = TEAM_LEADS[username]
            user.first_name, user.last_name = first, last
            user.email = f"{username}@stadt-koeln.example"
            user.save()
            user.groups.set([caseworkers])
            user.departments.set(Department.objects.filter(slug__in=led))
            user.led_departments.set(Department.objects.filter(slug__in=led))
        if username in CENTRE_STAFF:
            first, last, centres = CENTRE_STAFF[username]
            user.first_name, user.last_name = first, last
            user.email = f"{username}@stadt-koeln.example"
            user.save()
            user.centres.set(CustomerCentre.objects.filter(slug__in=centres))
        if username == "krisenstab":
            user.first_name, user.last_name = "Uwe", "Krämer"
            user.email = "krisenstab@stadt-koeln.example"
            user.save()
            user.groups.set([crisis_staff])
    for department in Department.objects.all():
        user, _ = User.objects.get_or_create(username=f"sb-{department.slug}")
        user.first_name, user.last_name = "Sachbearbeitung", department.name[:100]
        user.is_staff = True
        user.email = f"sb-{department.slug}@stadt-koeln.example"
        user.set_password(CASEWORKER_PASSWORD)
        user.save()
        user.groups.set([caseworkers])
        user.departments.set([department])
    return len(DEMO_ACCOUNTS) + Department.objects.count()

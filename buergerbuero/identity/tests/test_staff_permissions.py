"""The permission matrix: every role × every staff route, with the status each must get.

The staff routes are read from the URL resolver (everything under /sachbearbeitung/,
/kasse/, /verwaltung/ and the development outbox): a new staff route without a row here fails
``test_every_staff_route_is_in_the_matrix``. The admin site is one row for its index and
one for a model page (Django checks the model permissions on each of its pages).

Statuses: 200/302 — let in (302 after a successful POST); LOGIN — redirected to the staff
login; 403 — refused with a page that says why; 404 — not disclosed (a case of another
department, the development outbox outside development). A 404 with ids that do not
exist (cash office details) still proves that the role passed the permission check,
which comes before the lookup.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from buergerbuero.applications.models import (
    Application,
    ApplicationStatus,
    Case,
    Document,
    DocumentKind,
    FormDefinition,
)
from buergerbuero.applications.services import reference_next
from buergerbuero.catalog.models import Service
from buergerbuero.notifications.models import EmailAttachment, OutgoingEmail
from buergerbuero.organisation.models import CustomerCentre, Department
from buergerbuero.videooffice.models import Call, CallDocument, Knock, KnockState, VideoOffice

pytestmark = pytest.mark.django_db

LOGIN = "LOGIN"
# (/entwicklung/ also holds the development identity provider: a citizen's way in, not
# a staff route; its own tests cover it.)
STAFF_PREFIXES = ("sachbearbeitung/", "kasse/", "verwaltung/", "entwicklung/postausgang/")
ROLES = [
    "anonymous",
    "citizen",
    "caseworker_a",
    "caseworker_b",
    "team_lead_a",
    "centre_staff",
    "cash_office",
    "catalog_editor",
    "crisis_staff",
    "admin",
]
STAFF_ROLES = ROLES[2:]


def expect(default, **by_role) -> dict[str, object]:
    """Expected status per role: ``default`` for everybody not named."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: by_role.get(role, default) for role in ROLES}


# Who gets in where (anonymous visitors always go to the staff login).
BACK_OFFICE = expect(403, anonymous=LOGIN, caseworker_a=200, team_lead_a=200)
CASE_OF_A = {**BACK_OFFICE, "caseworker_b": 404}
CASE_ACTION_OF_A = {**CASE_OF_A, "caseworker_a": 302, "team_lead_a": 302}
INBOX = {**BACK_OFFICE, "caseworker_b": 200}
CASH = expect(403, anonymous=LOGIN, cash_office=200, admin=200)
CASH_MISSING = expect(403, anonymous=LOGIN, cash_office=404, admin=404)
CASH_POST_MISSING = CASH_MISSING
OUTBOX = expect(404, admin=200)  # outside DEBUG: staff with the outbox permission only
STAFF_LOGIN = expect(302, anonymous=200, citizen=200)
STAFF_OWN = expect(200, anonymous=LOGIN, citizen=403)
STAFF_SETUP = expect(200, anonymous=LOGIN, citizen=LOGIN)
STAFF_CODE = expect(LOGIN)
STAFF_BACKUP = expect(302, anonymous=LOGIN, citizen=403)  # no app set up: back to the account
ADMIN = expect(200, anonymous=LOGIN, citizen=302)  # a citizen goes to the admin's login
ADMIN_USERS = expect(403, anonymous=LOGIN, citizen=302, admin=200)
# The video office: the back office's door, then the office's assignment (caseworker A
# staffs the Steueramt's office; its team lead does not) or the call's own caseworker.
VIDEO_DASHBOARD = BACK_OFFICE | {"caseworker_b": 200}
VIDEO_DASHBOARD_POST = expect(403, anonymous=LOGIN, caseworker_a=302, caseworker_b=302)
VIDEO_DASHBOARD_POST["team_lead_a"] = 302
VIDEO_OFFICE_A_POST = expect(403, anonymous=LOGIN, caseworker_a=302)
VIDEO_OFFICE_A_BAD_POST = {**VIDEO_OFFICE_A_POST, "caseworker_a": 400}
VIDEO_OWN_CALL = expect(403, anonymous=LOGIN, caseworker_a=200)
VIDEO_OWN_CALL_BAD_POST = expect(403, anonymous=LOGIN, caseworker_a=400)
# A document of a call filed into case A: the call's caseworker and the case's department.
VIDEO_DOCUMENT = BACK_OFFICE | {"caseworker_b": 403}
# The counter screen of Kundenzentrum Kalk: its staff and administrators.
COUNTER_SCREEN = expect(403, anonymous=LOGIN, centre_staff=200, admin=200)
COUNTER_SCREEN_POST = expect(403, anonymous=LOGIN, centre_staff=302, admin=302)
# Appointments: staff of the centre (Kalk) and admins; the index sends staff of one centre
# to its day list (302), an administrator sees the list of all centres (200).
APPOINTMENT_INDEX = expect(403, anonymous=LOGIN, centre_staff=302, admin=200)

MISSING = 999_999
MISSING_UUID = uuid.UUID(int=1)

# route name: (method, url builder, expected per role)
MATRIX = {
    "backoffice:inbox": ("get", lambda w: reverse("backoffice:inbox"), INBOX),
    "backoffice:case": ("get", lambda w: w.case_url, CASE_OF_A),
    "backoffice:case_action": ("post-note", lambda w: w.note_url, CASE_ACTION_OF_A),
    "backoffice:document": ("get", lambda w: w.document_url, CASE_OF_A),
    "payments:cash_overview": ("get", lambda w: reverse("payments:cash_overview"), CASH),
    "payments:cash_payments": ("get", lambda w: reverse("payments:cash_payments"), CASH),
    "payments:cash_payment": (
        "get",
        lambda w: reverse("payments:cash_payment", args=[MISSING_UUID]),
        CASH_MISSING,
    ),
    "payments:cash_demo_statement": (
        "get",
        lambda w: reverse("payments:cash_demo_statement"),
        CASH,
    ),
    "payments:cash_statements": ("get", lambda w: reverse("payments:cash_statements"), CASH),
    "payments:cash_statement": (
        "get",
        lambda w: reverse("payments:cash_statement", args=[MISSING]),
        CASH_MISSING,
    ),
    "payments:cash_credits": ("get", lambda w: reverse("payments:cash_credits"), CASH),
    "payments:cash_credit": (
        "get",
        lambda w: reverse("payments:cash_credit", args=[MISSING]),
        CASH_MISSING,
    ),
    "payments:cash_credit_assign": (
        "post",
        lambda w: reverse("payments:cash_credit_assign", args=[MISSING]),
        CASH_POST_MISSING,
    ),
    "payments:cash_credit_clear": (
        "post",
        lambda w: reverse("payments:cash_credit_clear", args=[MISSING]),
        CASH_POST_MISSING,
    ),
    "payments:cash_credit_unassign": (
        "post",
        lambda w: reverse("payments:cash_credit_unassign", args=[MISSING]),
        CASH_POST_MISSING,
    ),
    "payments:cash_direct_debits": (
        "get",
        lambda w: reverse("payments:cash_direct_debits"),
        CASH,
    ),
    "payments:cash_direct_debit_run_create": (
        "post",
        lambda w: reverse("payments:cash_direct_debit_run_create"),
        {**CASH, "cash_office": 400, "admin": 400},  # let in; the empty form is refused
    ),
    "payments:cash_direct_debit_run_download": (
        "get",
        lambda w: reverse("payments:cash_direct_debit_run_download", args=["FEHLT"]),
        CASH_MISSING,
    ),
    "payments:cash_direct_debit_return": (
        "get",
        lambda w: reverse("payments:cash_direct_debit_return", args=[MISSING_UUID]),
        CASH_MISSING,
    ),
    "payments:cash_mandate_revoke": (
        "get",
        lambda w: reverse("payments:cash_mandate_revoke", args=[MISSING]),
        CASH_MISSING,
    ),
    "notifications:outbox": ("get", lambda w: reverse("notifications:outbox"), OUTBOX),
    "notifications:outbox_detail": (
        "get",
        lambda w: reverse("notifications:outbox_detail", args=[w.email.pk]),
        OUTBOX,
    ),
    "notifications:outbox_attachment": (
        "get",
        lambda w: reverse("notifications:outbox_attachment", args=[w.email.pk, w.attachment.pk]),
        OUTBOX,
    ),
    "identity:staff_login": ("get", lambda w: reverse("identity:staff_login"), STAFF_LOGIN),
    "identity:staff_code": ("get", lambda w: reverse("identity:staff_code"), STAFF_CODE),
    "identity:staff_setup": ("get", lambda w: reverse("identity:staff_setup"), STAFF_SETUP),
    "identity:staff_account": ("get", lambda w: reverse("identity:staff_account"), STAFF_OWN),
    "identity:staff_backup_codes": (
        "post",
        lambda w: reverse("identity:staff_backup_codes"),
        STAFF_BACKUP,
    ),
    "videostaff:dashboard": ("get", lambda w: reverse("videostaff:dashboard"), VIDEO_DASHBOARD),
    "videostaff:queue": ("get", lambda w: reverse("videostaff:queue"), VIDEO_DASHBOARD),
    "videostaff:presence": ("post", lambda w: reverse("videostaff:presence"), VIDEO_DASHBOARD_POST),
    "videostaff:admit": ("post", lambda w: w.video_url("admit", w.knocks[0]), VIDEO_OFFICE_A_POST),
    "videostaff:decline": (
        "post-decline",
        lambda w: w.video_url("decline", w.knocks[1]),
        VIDEO_OFFICE_A_BAD_POST,
    ),
    "videostaff:transfer": (
        "post-transfer",
        lambda w: w.video_url("transfer", w.knocks[2]),
        VIDEO_OFFICE_A_POST,
    ),
    "videostaff:admit_next": (
        "post",
        lambda w: reverse("videostaff:admit_next", args=[w.video_office.slug]),
        VIDEO_OFFICE_A_POST,
    ),
    "videostaff:call": ("get", lambda w: w.video_url("call", w.call), VIDEO_OWN_CALL),
    "videostaff:call_documents": (
        "get",
        lambda w: w.video_url("call_documents", w.call),
        VIDEO_OWN_CALL,
    ),
    "videostaff:case": (
        "post-case",
        lambda w: w.video_url("case", w.call),
        VIDEO_OWN_CALL_BAD_POST,
    ),
    "videostaff:videoident": (
        "post",
        lambda w: w.video_url("videoident", w.call),
        VIDEO_OWN_CALL_BAD_POST,
    ),
    "videostaff:outcome": ("get", lambda w: w.video_url("outcome", w.call), VIDEO_OWN_CALL),
    "videostaff:document": (
        "get",
        lambda w: reverse("videostaff:document", args=[w.call_document.pk]),
        VIDEO_DOCUMENT,
    ),
    # The walk-in queue's counter screen: staff of the counter's centre (Kalk) and admins.
    "ticketstaff:counters": ("get", lambda w: reverse("ticketstaff:counters"), COUNTER_SCREEN),
    "ticketstaff:counter": (
        "get",
        lambda w: reverse("ticketstaff:counter", args=[w.counter.pk]),
        COUNTER_SCREEN,
    ),
    "ticketstaff:counter_action": (
        "post",
        lambda w: reverse("ticketstaff:counter_action", args=[w.counter.pk, "naechste"]),
        COUNTER_SCREEN_POST,
    ),
    "appointmentstaff:index": (
        "get",
        lambda w: reverse("appointmentstaff:index"),
        APPOINTMENT_INDEX,
    ),
    "appointmentstaff:day": (
        "get",
        lambda w: reverse("appointmentstaff:day", args=["kundenzentrum-kalk"]),
        COUNTER_SCREEN,
    ),
    "appointmentstaff:check_in": (
        "post",
        lambda w: reverse("appointmentstaff:check_in", args=[w.appointment.public_id]),
        COUNTER_SCREEN_POST,
    ),
    "appointmentstaff:no_show": (
        "post",
        lambda w: reverse("appointmentstaff:no_show", args=[w.appointment.public_id]),
        COUNTER_SCREEN_POST,
    ),
    # The admin site: its index, and a model page only administrators may open.
    "admin:index": ("get", lambda w: reverse("admin:index"), ADMIN),
    "admin:identity_user_changelist": (
        "get",
        lambda w: reverse("admin:identity_user_changelist"),
        ADMIN_USERS,
    ),
}


def staff_route_names() -> set[str]:
    """Every named route under the staff prefixes, as ``namespace:name``."""
    found: set[str] = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern).lstrip("^").replace("\\Z", "").rstrip("$")
            if isinstance(entry, URLResolver):
                ns = entry.namespace or ""
                full_ns = f"{namespace}:{ns}".strip(":") if ns else namespace
                walk(entry.url_patterns, route, full_ns)
            elif isinstance(entry, URLPattern):
                path = re.sub(r"^[a-z]{2}/", "", route)  # the i18n prefix, if any
                if path.startswith(STAFF_PREFIXES):
                    assert entry.name, f"staff route {route!r} needs a name (and a matrix row)"
                    found.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_staff_route_is_in_the_matrix():
    routes = staff_route_names()

    missing = routes - set(MATRIX)
    assert not missing, f"staff routes without a row in the permission matrix: {missing}"
    assert "backoffice:case" in routes and "payments:cash_overview" in routes


class World:
    """One case of department A (Steueramt) with a document, one email in the outbox,
    and an account per role."""

    def __init__(self):
        User = get_user_model()
        steueramt = Department.objects.get(slug="steueramt")
        wohnungsamt = Department.objects.get(slug="wohnungsamt")
        service = Service.objects.get(slug="hund-anmelden")
        assert service.department_id == steueramt.pk
        application = Application.objects.create(
            service=service,
            definition=FormDefinition.objects.get(service=service, is_active=True),
            status=ApplicationStatus.SUBMITTED,
            answers={"name": "Erika Mustermann"},
            submitted_at=timezone.now(),
        )
        self.case = Case.objects.create(
            reference=reference_next(),
            application=application,
            service=service,
            department=steueramt,
            applicant_name="Erika Mustermann",
        )
        document = Document(
            application=application,
            kind=DocumentKind.UPLOAD,
            name="Impfpass.pdf",
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
        )
        document.file.save("impfpass", ContentFile(b"%PDF-1.4"), save=False)
        document.save()
        self.case_url = reverse("backoffice:case", args=[self.case.reference])
        self.note_url = reverse("backoffice:case_action", args=[self.case.reference, "notiz"])
        self.document_url = reverse("backoffice:document", args=[document.pk])
        self.email = OutgoingEmail.objects.create(
            to="erika@example.org", subject="Ihr Antrag", body_text="Hallo", language="de"
        )
        self.attachment = EmailAttachment.objects.create(
            email=self.email, filename="a.txt", content_type="text/plain", content=b"x", size=1
        )

        def staff(username, **fields):
            return User.objects.create_user(
                username, password="x-geheim-1", is_staff=True, **fields
            )

        caseworker_a = staff("sb.a")
        caseworker_a.departments.add(steueramt)
        caseworker_b = staff("sb.b")
        caseworker_b.departments.add(wohnungsamt)
        # Counter staff of Kundenzentrum Kalk (appointments and tickets of that centre).
        centre_staff = staff("schalter.kalk")
        centre_staff.centres.add(CustomerCentre.objects.get(slug="kundenzentrum-kalk"))
        team_lead_a = User.objects.get(username="leitung")  # demo: leads the Steueramt
        assert list(team_lead_a.led_departments.all()) == [steueramt]
        self.users = {
            "anonymous": None,
            "citizen": User.objects.get(username="buerger"),
            "caseworker_a": caseworker_a,
            "caseworker_b": caseworker_b,
            "team_lead_a": team_lead_a,
            "centre_staff": centre_staff,
            "cash_office": User.objects.get(username="kasse"),
            "catalog_editor": User.objects.get(username="katalog"),
            "crisis_staff": User.objects.get(username="krisenstab"),
            "admin": User.objects.get(username="admin"),
        }
        self._video(steueramt, caseworker_a)
        self._tickets()
        self._appointments()

    def _video(self, department, caseworker) -> None:
        """An office of department A staffed by caseworker A, three waiting knocks (to
        admit, decline, transfer) and a call of caseworker A with a document filed into
        the case of department A."""
        now = timezone.now()
        self.video_office = VideoOffice.objects.create(
            slug="matrix-steueramt", name="Steueramt", department=department
        )
        self.video_office.caseworkers.add(caseworker)
        self.other_video_office = VideoOffice.objects.create(
            slug="matrix-anderes", name="Anderes Amt", department=department
        )

        def knock(state=KnockState.WAITING):
            return Knock.objects.create(
                office=self.video_office, consent_at=now, queue_at=now, state=state
            )

        self.knocks = [knock(), knock(), knock()]
        self.call = Call.objects.create(
            knock=knock(KnockState.ADMITTED),
            office=self.video_office,
            caseworker=caseworker,
            case=self.case,
        )
        self.call_document = CallDocument(
            call=self.call, name="Meldebescheinigung.pdf", content_type="application/pdf", size=8
        )
        self.call_document.file.save("meldung", ContentFile(b"%PDF-1.4"), save=False)
        self.call_document.save()

    def _tickets(self) -> None:
        """An open counter of Kundenzentrum Kalk with a service group of its own."""
        from buergerbuero.tickets.models import Counter, ServiceGroup

        kalk = CustomerCentre.objects.get(slug="kundenzentrum-kalk")
        group = ServiceGroup.objects.create(centre=kalk, letter="M", name="Matrix")
        self.counter = Counter.objects.create(centre=kalk, name="Matrix-Schalter", is_open=True)
        self.counter.groups.add(group)

    def _appointments(self) -> None:
        """A booked appointment at Kundenzentrum Kalk in an hour."""
        import datetime as dt

        from buergerbuero.appointments.models import Appointment

        starts = timezone.now() + dt.timedelta(hours=1)
        self.appointment = Appointment.objects.create(
            centre=CustomerCentre.objects.get(slug="kundenzentrum-kalk"),
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=20),
            name="Erika Mustermann",
            email="erika@example.org",
            token_hash="-",
        )

    @staticmethod
    def video_url(name: str, thing) -> str:
        return reverse(f"videostaff:{name}", args=[thing.public_id])


@pytest.fixture
def world():
    return World()


def request(client, method: str, url: str, world: World):
    if method == "get":
        return client.get(url)
    if method == "post-note":
        return client.post(
            url, {"notiz-version": Case.objects.get(pk=world.case.pk).version, "notiz-text": "x"}
        )
    if method == "post-decline":  # a decline without a message is refused (400)
        return client.post(url, {"message": ""})
    if method == "post-transfer":
        return client.post(url, {"office": world.other_video_office.pk})
    if method == "post-case":  # an unknown case reference is refused (400)
        return client.post(url, {"action": "verknuepfen", "reference": "FEHLT"})
    return client.post(url, {})


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, world, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    problems = []
    for name, (method, build, expected_by_role) in MATRIX.items():
        url = build(world)
        response = request(client, method, url, world)
        expected = expected_by_role[role]
        got = response.status_code
        if expected == LOGIN:
            location = response.get("Location", "")
            ok = got == 302 and location.startswith(reverse("identity:staff_login"))
            got = f"{got} → {location}"
        else:
            ok = got == expected
        if not ok:
            problems.append(f"{name} {method.upper()} {url}: expected {expected}, got {got}")
        if user is not None and "_auth_user_id" not in client.session:
            client.force_login(user)  # (a route that logs out would hide the next rows)
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_crisis_staff_has_the_crisis_permission_and_nothing_of_the_cases(world):
    crisis = world.users["crisis_staff"]
    assert crisis.has_perm("identity.crisis_access")
    assert not crisis.departments.exists() and not crisis.led_departments.exists()
    assert not any(
        perm.startswith(("applications.", "payments.")) for perm in crisis.get_all_permissions()
    )

"""Which account an external identity logs into, linking, and identification by video."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from buergerbuero.applications.models import AuditEntry
from buergerbuero.identity.models import ExternalIdentity, IdentityVerification, User
from buergerbuero.identity.services import (
    IdentityLinkedElsewhere,
    LinkConfirmationRequired,
    PersonData,
    StaffAccountRefused,
    external_identity_unlink,
    external_login,
    pending_link_finish,
    videoident_record,
)
from buergerbuero.identity.trust import (
    LoginMethod,
    TrustLevel,
    login_with_level,
    session_identity,
)

pytestmark = pytest.mark.django_db

ANNA = PersonData(
    given_name="Anna",
    family_name="Schmitz",
    birth_date=dt.date(1992, 3, 4),
    street="Venloer Straße 1",
    postcode="50672",
    city="Köln",
    email="anna@example.org",
)


@pytest.fixture
def make_request(client):
    """A request with a real session, as the login views see it."""

    def make(user=None):
        request = RequestFactory().get("/")
        from django.contrib.auth.models import AnonymousUser
        from django.contrib.sessions.backends.db import SessionStore

        request.session = SessionStore()
        request.user = user or AnonymousUser()
        return request

    return make


def bundid_login(request, subject="bpk2-anna", level=TrustLevel.SUBSTANTIAL, person=ANNA):
    return external_login(
        request,
        method=LoginMethod.BUNDID,
        provider="https://id.bund.de/idp",
        subject=subject,
        level=level,
        person=person,
        has_inbox=True,
    )


def test_a_new_bundid_creates_an_account_with_the_verified_data(make_request):
    request = make_request()
    user = bundid_login(request)
    assert (user.first_name, user.last_name, user.city) == ("Anna", "Schmitz", "Köln")
    assert user.birth_date == dt.date(1992, 3, 4)
    assert user.email_verified_at is not None
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.subject, identity.has_inbox, identity.last_level) == (
        "bpk2-anna",
        True,
        "substantial",
    )
    assert session_identity(request).level == TrustLevel.SUBSTANTIAL
    assert session_identity(request).method == "bundid"


def test_the_same_bundid_logs_into_the_same_account(make_request):
    first = bundid_login(make_request())
    second = bundid_login(make_request(), level=TrustLevel.HIGH)
    assert first.pk == second.pk
    assert User.objects.filter(external_identities__subject="bpk2-anna").count() == 1


def test_logging_in_by_bundid_while_logged_in_links_it_to_that_account(make_request):
    local = User.objects.create_user("anna", password="geheim-12345", city="Bonn")
    request = make_request(local)
    with pytest.raises(LinkConfirmationRequired):
        bundid_login(request)  # asks first: someone else may have left "anna" logged in
    assert not ExternalIdentity.objects.exists()
    user = pending_link_finish(request, link=True)
    assert user.pk == local.pk
    assert ExternalIdentity.objects.get(subject="bpk2-anna").user == local
    local.refresh_from_db()
    assert local.city == "Köln"  # the ID document's address replaces the typed one


def test_a_bundid_of_another_account_is_not_linked(make_request):
    owner = bundid_login(make_request())
    someone = User.objects.create_user("someone", password="geheim-12345")
    with pytest.raises(IdentityLinkedElsewhere):
        bundid_login(make_request(someone))
    assert ExternalIdentity.objects.get(subject="bpk2-anna").user == owner


def test_low_level_data_only_fills_gaps(make_request):
    local = User.objects.create_user("anna", password="geheim-12345", last_name="Schmitz-Meier")
    request = make_request(local)
    with pytest.raises(LinkConfirmationRequired):
        bundid_login(request, level=TrustLevel.LOW)
    pending_link_finish(request, link=True)
    local.refresh_from_db()
    assert local.last_name == "Schmitz-Meier"  # self-asserted data overwrite nothing
    assert local.first_name == "Anna"


def test_staff_accounts_cannot_log_in_by_bundid(make_request):
    staff = User.objects.create_user("becker2", password="geheim-12345", is_staff=True)
    with pytest.raises(StaffAccountRefused):
        bundid_login(make_request(staff))
    assert not ExternalIdentity.objects.exists()


def test_the_last_way_in_cannot_be_unlinked(make_request):
    user = bundid_login(make_request())
    identity = user.external_identities.get()
    with pytest.raises(Exception, match="einziger Anmeldeweg"):
        external_identity_unlink(user, identity.pk)
    user.set_password("geheim-12345")
    user.save()
    external_identity_unlink(user, identity.pk)
    assert not user.external_identities.exists()


# -- identification by video -------------------------------------------------------------


@pytest.fixture
def caseworker():
    user = User.objects.create_user("sb", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="record_videoident"))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def test_videoident_raises_the_verified_level_and_is_audited(caseworker, make_request):
    citizen = User.objects.create_user("olena", password="geheim-12345")
    verification = videoident_record(
        caseworker=caseworker, citizen=citizen, document_type="residence-permit"
    )
    citizen.refresh_from_db()
    assert citizen.verified_level == TrustLevel.SUBSTANTIAL
    assert verification.verified_by == caseworker
    assert verification.get_document_type_display() == "Elektronischer Aufenthaltstitel"
    entry = AuditEntry.objects.get(action="identity.videoident")
    assert entry.actor_name == "sb" and f"user:{citizen.pk}" in entry.detail

    # The verified level counts for a login with a second factor, not for a password alone.
    password_only = make_request(citizen)
    login_with_level(password_only, citizen, level=TrustLevel.LOW, method=LoginMethod.LOCAL)
    assert session_identity(password_only).level == TrustLevel.LOW
    with_code = make_request(citizen)
    login_with_level(
        with_code, citizen, level=TrustLevel.LOW, method=LoginMethod.LOCAL, second_factor=True
    )
    assert session_identity(with_code).level == TrustLevel.SUBSTANTIAL


def test_only_permitted_staff_record_a_videoident():
    colleague = User.objects.create_user("other", password="x", is_staff=True)
    citizen = User.objects.create_user("olena", password="x")
    with pytest.raises(PermissionDenied):
        videoident_record(caseworker=colleague, citizen=citizen, document_type="passport")
    with pytest.raises(PermissionDenied):
        videoident_record(caseworker=citizen, citizen=citizen, document_type="passport")
    assert not IdentityVerification.objects.exists()
    citizen.refresh_from_db()
    assert citizen.verified_level == TrustLevel.LOW


def test_the_demo_caseworkers_may_record_a_videoident_and_crisis_staff_may_not():
    citizen = User.objects.get(username="buerger")
    videoident_record(
        caseworker=User.objects.get(username="becker"), citizen=citizen, document_type="id-card"
    )
    with pytest.raises(PermissionDenied):
        videoident_record(
            caseworker=User.objects.get(username="krisenstab"),
            citizen=citizen,
            document_type="id-card",
        )


def test_video_cannot_reach_level_high(caseworker):
    citizen = User.objects.create_user("olena", password="x")
    with pytest.raises(ValueError):
        videoident_record(
            caseworker=caseworker, citizen=citizen, document_type="id-card", level="high"
        )
    assert not IdentityVerification.objects.exists()

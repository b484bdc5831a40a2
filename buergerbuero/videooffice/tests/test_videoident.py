"""Videoident in the call: off unless the city allows it, only for a logged-in citizen,
only with every check confirmed — and then the account reaches "substantial", never
"high"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from buergerbuero.identity.models import IdentityVerification
from buergerbuero.identity.trust import TrustLevel
from buergerbuero.videooffice import identification, services
from buergerbuero.videooffice.identification import VIDEOIDENT_CHECKS, videoident

from .test_casefile import citizen_call
from .test_staff_views import admitted_call, caseworker_of, videoident_allowed

pytestmark = pytest.mark.django_db

ALL_CHECKS = {check.key: True for check in VIDEOIDENT_CHECKS}


@pytest.fixture
def petra(office):
    return caseworker_of("petra.becker", office)


@pytest.fixture
def mehmet():
    return get_user_model().objects.create_user(
        "mehmet", first_name="Mehmet", last_name="Yılmaz", birth_date=dt.date(1985, 4, 12)
    )


@pytest.fixture
def call(office, petra, mehmet, citizens):
    return citizen_call(office, petra, citizens, mehmet)


def test_while_the_city_has_not_enabled_it_nothing_is_recorded(client, call, petra, mehmet):
    videoident_allowed(False)

    with pytest.raises(identification.VideoidentRefused, match="nicht freigeschaltet"):
        videoident(call, caseworker=petra, document_type="id-card", checks=ALL_CHECKS)

    client.force_login(petra)
    page = client.get(reverse("videostaff:call", args=[call.public_id])).content.decode()
    assert "Videoident ist in dieser Stadt nicht freigeschaltet." in page
    assert "Prüfschritte" not in page
    response = client.post(
        reverse("videostaff:videoident", args=[call.public_id]),
        {"document_type": "id-card", **{key: "on" for key in ALL_CHECKS}},
    )
    assert response.status_code == 400
    mehmet.refresh_from_db()
    assert mehmet.verified_level == TrustLevel.LOW
    assert not IdentityVerification.objects.exists()


def test_a_citizen_without_an_account_cannot_be_identified(office, petra, citizens):
    videoident_allowed()
    anonymous = admitted_call(office, petra, citizens)
    with pytest.raises(identification.VideoidentRefused, match="nicht angemeldet"):
        videoident(anonymous, caseworker=petra, document_type="id-card", checks=ALL_CHECKS)
    assert not IdentityVerification.objects.exists()


def test_every_check_must_be_confirmed(client, call, petra, mehmet):
    videoident_allowed()
    missing_one = {**ALL_CHECKS, "alone": False}

    with pytest.raises(identification.VideoidentRefused, match="liest nicht von einer Vorlage"):
        videoident(call, caseworker=petra, document_type="passport", checks=missing_one)

    client.force_login(petra)
    data = {"document_type": "passport", **{k: "on" for k, v in missing_one.items() if v}}
    response = client.post(reverse("videostaff:videoident", args=[call.public_id]), data)
    assert response.status_code == 400
    assert "Bitte bestätigen Sie diesen Prüfschritt." in response.content.decode()
    mehmet.refresh_from_db()
    assert mehmet.verified_level == TrustLevel.LOW


def test_only_the_calls_caseworker_and_only_during_the_call(office, call, petra):
    videoident_allowed()
    colleague = caseworker_of("jan.schulz", office)
    with pytest.raises(identification.VideoidentRefused, match="dieses Gesprächs"):
        videoident(call, caseworker=colleague, document_type="id-card", checks=ALL_CHECKS)
    services.call_end(call, reason="hangup_citizen")
    call.refresh_from_db()
    with pytest.raises(identification.VideoidentRefused, match="beendet"):
        videoident(call, caseworker=petra, document_type="id-card", checks=ALL_CHECKS)


def test_a_caseworker_without_the_permission_is_told_so(office, mehmet, citizens):
    videoident_allowed()
    unprivileged = caseworker_of("ohne.recht", office)
    unprivileged.groups.clear()
    call = citizen_call(office, unprivileged, citizens, mehmet)
    with pytest.raises(identification.VideoidentRefused, match="Berechtigung"):
        videoident(call, caseworker=unprivileged, document_type="id-card", checks=ALL_CHECKS)


def test_a_confirmed_checklist_raises_the_account_to_substantial_and_never_higher(
    client, call, petra, mehmet
):
    videoident_allowed()
    client.force_login(petra)
    page = client.get(reverse("videostaff:call", args=[call.public_id])).content.decode()
    assert "12.04.1985" in page and "Mehmet Yılmaz" in page  # the account data beside it
    assert "Chaos Computer Club" in page

    response = client.post(
        reverse("videostaff:videoident", args=[call.public_id]),
        {"document_type": "id-card", **{key: "on" for key in ALL_CHECKS}},
        headers={"HX-Request": "true"},
    )

    assert "Identität festgestellt: Vertrauensniveau substanziell" in response.content.decode()
    mehmet.refresh_from_db()
    assert mehmet.verified_level == TrustLevel.SUBSTANTIAL
    verification = IdentityVerification.objects.get(user=mehmet)
    assert verification.level == TrustLevel.SUBSTANTIAL
    assert verification.document_type == "id-card" and verification.verified_by == petra
    # A second identification does not climb any further.
    videoident(call, caseworker=petra, document_type="passport", checks=ALL_CHECKS)
    mehmet.refresh_from_db()
    assert mehmet.verified_level == TrustLevel.SUBSTANTIAL
    assert not IdentityVerification.objects.filter(level=TrustLevel.HIGH).exists()

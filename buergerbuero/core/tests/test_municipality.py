"""The city's branding is data: another city changes it in the admin, not in code."""

import pytest
from django.core.exceptions import ValidationError

from buergerbuero.core.colour import contrast_ratio
from buergerbuero.core.models import Municipality

pytestmark = pytest.mark.django_db


def test_contrast_ratio_matches_wcag_reference_values():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54


def test_a_brand_colour_without_enough_contrast_is_refused():
    municipality = Municipality.objects.get()
    municipality.primary_colour = "#ffcc00"
    with pytest.raises(ValidationError, match="4,5:1"):
        municipality.full_clean()


def test_another_city_shows_its_own_name_and_colour(client):
    municipality = Municipality.objects.get()
    municipality.name = "Stadt Dortmund"
    municipality.short_name = "Dortmund"
    municipality.primary_colour = "#a3001b"
    municipality.full_clean()
    municipality.save()
    html = client.get("/").content.decode()
    assert "Stadt Dortmund" in html and "Stadt Köln" not in html
    assert "--kern-color-action-default: #a3001b" in html


def test_the_brand_style_carries_the_csp_nonce(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_the_logo_is_checked_by_content_not_by_name(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    municipality = Municipality.objects.get()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = admin_client.post(
        f"/admin/core/municipality/{municipality.pk}/change/",
        {
            "name": municipality.name,
            "short_name": municipality.short_name,
            "primary_colour": municipality.primary_colour,
            "logo": SimpleUploadedFile("wappen.png", svg, "image/png"),
        },
    )
    assert response.status_code == 200
    assert "kein PNG-, JPEG- oder WebP-Bild" in response.content.decode()
    municipality.refresh_from_db()
    assert not municipality.logo

"""Amounts in cents, formatted for people."""

import pytest
from django.template import Context, Template
from django.utils import translation

from buergerbuero.payments.money import format_cents


@pytest.mark.parametrize(
    ("cents", "language", "text"),
    [
        (1800, "de", "18,00 €"),
        (1800, "en", "€18.00"),
        (5, "de", "0,05 €"),
        (0, "en", "€0.00"),
        (123456, "de", "1.234,56 €"),
        (123456, "en", "€1,234.56"),
        (100000000, "de", "1.000.000,00 €"),
        (-1800, "de", "-18,00 €"),
        (-1800, "en", "-€18.00"),
        (1800, "en-gb", "€18.00"),
    ],
)
def test_format_cents(cents, language, text):
    assert format_cents(cents, language) == text


def test_the_active_language_is_the_default():
    with translation.override("en"):
        assert format_cents(1800) == "€18.00"
    with translation.override("de"):
        assert format_cents(1800) == "18,00 €"


def test_the_template_filter():
    template = Template("{% load payments_money %}{{ amount|cents }}|{{ nothing|cents }}")
    with translation.override("de"):
        assert template.render(Context({"amount": 2550, "nothing": None})) == "25,50 €|"

"""``{% load payments_money %}{{ payment.amount_cents|cents }}`` → ``18,00 €`` in German."""

from django import template

from ..money import format_cents

register = template.Library()


@register.filter
def cents(value) -> str:
    """Integer cents as an amount in the active language; empty for no value."""
    if value is None or value == "":
        return ""
    return format_cents(int(value))

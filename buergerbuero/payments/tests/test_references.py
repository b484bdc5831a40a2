"""Kassenzeichen: check digits that catch typos, one code per purpose for ever."""

from __future__ import annotations

import pytest

from buergerbuero.payments.references import (
    code_clean,
    code_make,
    reference_for,
    reference_import,
)

pytestmark = pytest.mark.django_db


def test_a_code_is_prefix_sequence_and_two_check_digits():
    code = code_make(12345, prefix="53")
    assert code.startswith("5300012345") and len(code) == 12
    assert code_clean(code) == code


@pytest.mark.parametrize("grouping", ["{a} {b} {c}", "{a}.{b}.{c}", "{a}-{b}-{c}", " {a}{b}{c} "])
def test_a_code_is_recognised_in_any_grouping(grouping):
    code = code_make(4711, prefix="53")
    typed = grouping.format(a=code[:4], b=code[4:8], c=code[8:])
    assert code_clean(typed) == code


def test_every_single_wrong_digit_and_every_swap_of_neighbours_is_caught():
    code = code_make(20261234, prefix="53")
    for position in range(len(code)):
        for digit in "0123456789":
            if digit != code[position]:
                typo = code[:position] + digit + code[position + 1 :]
                assert code_clean(typo) is None, typo
    for position in range(len(code) - 1):
        a, b = code[position], code[position + 1]
        if a != b:
            swapped = code[:position] + b + a + code[position + 2 :]
            assert code_clean(swapped) is None, swapped


@pytest.mark.parametrize("text", ["", "abc", "53000123", "5300 0123 45x"])
def test_garbage_is_no_code(text):
    assert code_clean(text) is None


def test_a_purpose_keeps_its_code_while_the_amount_follows_the_latest_fee():
    first = reference_for(purpose="application:a1", amount_cents=1800, description="Parkausweis")
    again = reference_for(purpose="application:a1", amount_cents=3000, description="Parkausweis")
    other = reference_for(purpose="application:b2", amount_cents=1800, description="Parkausweis")
    assert again.code == first.code
    assert again.amount_cents == 3000
    assert other.code != first.code
    assert code_clean(first.code) == first.code and code_clean(other.code) == other.code


def test_an_imported_code_needs_right_check_digits_and_cannot_take_anothers_code():
    good = code_make(77770001, prefix="54")
    reference = reference_import(
        code=good, purpose="verwarnung:1", amount_cents=3500, description="Parken"
    )
    assert reference.code == good
    with pytest.raises(ValueError, match="check digits"):
        reference_import(
            code=good[:-1] + "0", purpose="verwarnung:2", amount_cents=3500, description="x"
        )
    with pytest.raises(ValueError, match="belongs to"):
        reference_import(code=good, purpose="verwarnung:3", amount_cents=3500, description="x")

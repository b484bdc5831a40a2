"""Mobile numbers as citizens type them: accepted in the usual forms, refused with a clear
German message otherwise, and the form keeps what was typed."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from buergerbuero.notifications.phone import MobileNumberField, mobile_number_clean

ASK_FOR_MOBILE = "Bitte geben Sie eine Mobilfunknummer an, z. B. 0171 1234567."


@pytest.mark.parametrize(
    "typed",
    ["0171 1234567", "+49 171 1234567", "0049 171 1234567", "(0171) 123 45-67", "0171/1234567"],
)
def test_the_usual_ways_to_write_a_german_mobile_number_give_e164(typed):
    assert mobile_number_clean(typed) == "+491711234567"


def test_a_foreign_mobile_number_with_its_country_code_is_accepted():
    assert mobile_number_clean("+43 664 1234567") == "+436641234567"


@pytest.mark.parametrize(
    "typed", ["", "   ", "12", "0171 ABC 4567", "0171 1234567 oder 0172", "+49 171 123456789012"]
)
def test_no_number_gets_the_german_request_for_a_mobile_number(typed):
    with pytest.raises(ValidationError) as error:
        mobile_number_clean(typed)
    assert error.value.messages == [ASK_FOR_MOBILE]


@pytest.mark.parametrize("landline", ["0221 221-0", "0800 1234567"])
def test_a_landline_is_refused_because_it_cannot_receive_an_sms(landline):
    with pytest.raises(ValidationError) as error:
        mobile_number_clean(landline)
    assert error.value.code == "not_mobile"
    assert "keine Mobilfunknummer" in error.value.messages[0]
    assert "z. B. 0171 1234567" in error.value.messages[0]


class TicketForm(forms.Form):
    phone = MobileNumberField()


def test_the_form_field_cleans_to_e164():
    form = TicketForm(data={"phone": "0171 1234567"})
    assert form.is_valid()
    assert form.cleaned_data["phone"] == "+491711234567"


def test_the_form_keeps_what_the_citizen_typed_next_to_the_message():
    form = TicketForm(data={"phone": "0221 221-0"})

    assert not form.is_valid()
    html = str(form["phone"])
    assert 'value="0221 221-0"' in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert "keine Mobilfunknummer" in form.errors["phone"][0]


def test_an_optional_field_left_empty_is_fine():
    class OptionalForm(forms.Form):
        phone = MobileNumberField(required=False)

    form = OptionalForm(data={"phone": ""})
    assert form.is_valid()
    assert form.cleaned_data["phone"] == ""

"""The test persons the development IdP can log in as (made up; no real data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TestPerson:
    key: str
    bpk2: str  # BundID's pseudonym for this person at this portal (made up)
    given_name: str
    family_name: str
    birth_date: dt.date | None
    street: str
    postcode: str
    city: str
    email: str
    postkorb_handle: str  # empty: a guest login without a BundID postbox
    description: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


TEST_PERSONS = {
    person.key: person
    for person in (
        TestPerson(
            key="mehmet",
            bpk2="DEVIDP-bPK2-mehmet-yilmaz-0001",
            given_name="Mehmet",
            family_name="Yılmaz",
            birth_date=dt.date(1985, 4, 12),
            street="Venloer Straße 123",
            postcode="50823",
            city="Köln",
            email="mehmet.yilmaz@example.org",
            postkorb_handle="devidp-postkorb-0001",
            description=_(
                "Dieselbe Person wie das Demo-Konto „buerger“, mit BundID-Postfach. Beim "
                "ersten Mal entsteht ein eigenes Konto, solange Sie es nicht verknüpfen."
            ),
        ),
        TestPerson(
            key="anna",
            bpk2="DEVIDP-bPK2-anna-schmitz-0002",
            given_name="Anna",
            family_name="Schmitz",
            birth_date=dt.date(1992, 11, 3),
            street="Aachener Straße 45",
            postcode="50674",
            city="Köln",
            email="anna.schmitz@example.org",
            postkorb_handle="devidp-postkorb-0002",
            description=_("Kölnerin mit BundID-Konto und Postfach."),
        ),
        TestPerson(
            key="gast",
            bpk2="DEVIDP-bPK2-jonas-becker-0003",
            given_name="Jonas",
            family_name="Becker",
            birth_date=dt.date(2001, 6, 30),
            street="Deutzer Freiheit 7",
            postcode="50679",
            city="Köln",
            email="",
            postkorb_handle="",
            description=_(
                "Gastzugang ohne BundID-Postfach (z. B. einmalige Anmeldung mit dem "
                "Ausweis): Nachrichten erreichen ihn nur im Bürgerbüro."
            ),
        ),
    )
}

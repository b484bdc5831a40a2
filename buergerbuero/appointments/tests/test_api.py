"""The open-data API of free appointment times."""

from __future__ import annotations

import pytest

from buergerbuero.appointments import slots

from .conftest import make_centre

pytestmark = pytest.mark.django_db

EVERY_DAY = {weekday: [(slots.dt.time(8), slots.dt.time(12))] for weekday in range(7)}


def test_earliest_per_centre_with_a_link_to_book_it(client, ausweis):
    centre = make_centre(slug="api-zentrum", hours=EVERY_DAY)
    first = slots.earliest(services=[ausweis], centres=[centre])[0]

    response = client.get("/api/v1/appointments/earliest", {"services": ["personalausweis"]})

    assert response.status_code == 200
    [row] = [r for r in response.json() if r["centre"] == "api-zentrum"]
    assert row["starts_at"].startswith(first.starts_at.strftime("%Y-%m-%dT%H:%M"))
    assert row["book_url"].startswith(
        "/termine/standort/api-zentrum/buchen/?leistung=personalausweis"
    )


def test_the_free_times_of_a_day(client, ausweis):
    centre = make_centre(slug="api-zentrum", hours=EVERY_DAY)
    first = slots.earliest(services=[ausweis], centres=[centre])[0]
    day = first.starts_at.date().isoformat()

    response = client.get(
        "/api/v1/appointments/centres/api-zentrum/slots",
        {"services": "personalausweis", "day": day},
    )

    assert response.status_code == 200
    times = [r["starts_at"][11:16] for r in response.json()]
    assert times[0] == first.starts_at.strftime("%H:%M")
    assert (
        client.get(
            "/api/v1/appointments/centres/gibt-es-nicht/slots",
            {"services": "personalausweis", "day": day},
        ).status_code
        == 404
    )

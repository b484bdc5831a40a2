"""The public pages through HTTP: kiosk, online draw, status page, call display, waiting
times and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from buergerbuero.core.testing import altcha_solve
from buergerbuero.tickets import services
from buergerbuero.tickets.models import Ticket, TicketState

from .conftest import draw, make_centre, make_groups

pytestmark = pytest.mark.django_db


def test_kiosk_shows_a_button_per_group_and_draws_a_ticket_with_a_qr_code(client, centre, groups):
    a, b = groups
    page = client.get(reverse("tickets:kiosk", args=[centre.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ausweise und Pässe" in html and "Meldeangelegenheiten" in html
    assert f'name="group" value="{b.pk}"' in html

    response = client.post(reverse("tickets:kiosk", args=[centre.slug]), {"group": b.pk})

    ticket = Ticket.objects.get()
    assert (ticket.display, ticket.source, ticket.phone) == ("B-001", "kiosk", "")
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert "B-001" in shown
    assert "<svg" in shown and 'role="img"' in shown  # the QR code, inline
    assert reverse("tickets:status", args=[ticket.public_id]) in shown


def test_kiosk_keeps_the_number_and_explains_an_invalid_mobile_number(client, centre, groups):
    a, _ = groups
    response = client.post(
        reverse("tickets:kiosk", args=[centre.slug]), {"group": a.pk, "phone": "0221 221-0"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "keine Mobilfunknummer" in html
    assert 'value="0221 221-0"' in html
    assert not Ticket.objects.exists()


def test_kiosk_with_a_mobile_number_stores_it_in_e164(client, centre, groups):
    client.post(
        reverse("tickets:kiosk", args=[centre.slug]),
        {"group": groups[0].pk, "phone": "0171 1234567"},
    )
    assert Ticket.objects.get().phone == "+491711234567"


def test_unknown_centre_gets_a_german_page(client):
    response = client.get(reverse("tickets:kiosk", args=["gibt-es-nicht"]))
    assert response.status_code == 404
    assert "Ein Kundenzentrum „gibt-es-nicht“ gibt es nicht" in response.content.decode()
    assert client.get(reverse("tickets:remote_draw", args=["gibt-es-nicht"])).status_code == 404
    assert client.get(reverse("tickets:call_display", args=["gibt-es-nicht"])).status_code == 404


def test_a_closed_centre_gives_no_tickets(client, db):
    closed = make_centre("geschlossen", "Kundenzentrum Zu", open_=False)
    a, _ = make_groups(closed)

    page = client.get(reverse("tickets:remote_draw", args=[closed.slug])).content.decode()
    posted = client.post(reverse("tickets:kiosk", args=[closed.slug]), {"group": a.pk})

    assert "Kundenzentrum Zu ist gerade geschlossen" in page
    assert posted.status_code == 400
    assert "ist gerade geschlossen" in posted.content.decode()
    assert not Ticket.objects.exists()


def test_remote_draw_leads_to_the_status_page_with_place_and_wait(client, centre, groups):
    a, _ = groups
    draw(centre, a)
    draw(centre, a)

    response = client.post(reverse("tickets:remote_draw", args=[centre.slug]), {"group": a.pk})

    ticket = Ticket.objects.get(source="remote")
    assert response["Location"] == reverse("tickets:status", args=[ticket.public_id])
    html = client.get(response["Location"]).content.decode()
    assert "Wartemarke A-003" in html
    assert "Vor Ihnen warten 2 Personen." in html
    assert "Geschätzte Wartezeit:" in html and "Minuten" in html
    assert 'aria-live="polite"' in html


def test_remote_draw_without_a_choice_says_what_is_missing(client, centre, groups):
    response = client.post(reverse("tickets:remote_draw", args=[centre.slug]), {"phone": "x"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Bitte wählen Sie Ihr Anliegen aus." in html
    assert "Bitte geben Sie eine Mobilfunknummer an" in html
    assert 'value="x"' in html


def test_remote_draw_with_a_solved_challenge_draws(client, centre, groups, settings):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 0  # only the solution can let it through
    a, _ = groups
    url = reverse("tickets:remote_draw", args=[centre.slug])
    assert "<altcha-widget" in client.get(url).content.decode()

    response = client.post(url, {"group": a.pk, "altcha": altcha_solve(client)})

    assert response.status_code == 302
    assert Ticket.objects.filter(source="remote").count() == 1


def test_remote_draw_refuses_a_bad_solution_and_keeps_the_number(client, centre, groups):
    a, _ = groups

    response = client.post(
        reverse("tickets:remote_draw", args=[centre.slug]),
        {"group": a.pk, "phone": "0171 1234567", "altcha": "Zm9yZ2Vk"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Die Sicherheitsprüfung Ihres Browsers konnte nicht bestätigt werden." in html
    assert "Es wurde keine Wartemarke gezogen." in html and 'value="0171 1234567"' in html
    assert not Ticket.objects.filter(source="remote").exists()


def test_without_javascript_the_online_draw_has_a_small_budget_the_kiosk_none(
    client, centre, groups, settings
):
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 1
    a, _ = groups
    url = reverse("tickets:remote_draw", args=[centre.slug])
    assert client.post(url, {"group": a.pk}).status_code == 302

    response = client.post(url, {"group": a.pk, "phone": "0171 1234567"})

    html = response.content.decode()
    assert response.status_code == 429
    assert "Ohne JavaScript nehmen wir von Ihrem Anschluss gerade nichts mehr an." in html
    assert 'value="0171 1234567"' in html
    assert Ticket.objects.filter(source="remote").count() == 1
    # the kiosk in the hall needs no proof: the person stands in front of it
    kiosk = client.post(reverse("tickets:kiosk", args=[centre.slug]), {"group": a.pk})
    assert kiosk.status_code == 302


def test_status_page_says_which_counter_when_called(client, centre, groups, counters):
    ticket = draw(centre, groups[0])
    services.counter_call_next(counter=counters[0])

    html = client.get(reverse("tickets:status_fragment", args=[ticket.public_id])).content
    assert "Sie sind dran – Schalter 1" in html.decode()


def test_citizen_can_give_the_ticket_back(client, centre, groups):
    ticket = draw(centre, groups[0])
    response = client.post(reverse("tickets:cancel", args=[ticket.public_id]), follow=True)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert "zurückgegeben" in response.content.decode()


def test_status_page_of_an_unknown_ticket_is_404(client, db):
    url = reverse("tickets:status", args=["00000000-0000-0000-0000-000000000001"])
    assert client.get(url).status_code == 404


def test_call_display_lists_the_last_calls(client, centre, groups, counters):
    a, b = groups
    draw(centre, a)
    draw(centre, b)
    services.counter_call_next(counter=counters[1])  # A-001 at Schalter 2
    services.counter_call_next(counter=counters[0])  # B-001 at Schalter 1

    html = client.get(reverse("tickets:call_display", args=[centre.slug])).content.decode()

    assert html.index("B-001") < html.index("A-001")  # newest first
    assert "Schalter 2" in html
    assert 'aria-live="assertive"' in html


def test_waiting_times_page_and_api(client, centre, groups, counters):
    for _ in range(3):
        draw(centre, groups[0])

    page = client.get(reverse("tickets:waiting_times")).content.decode()
    data = client.get("/api/v1/waiting-times").json()

    assert "Kundenzentrum Test" in page
    row = next(row for row in data if row["slug"] == centre.slug)
    assert row["name"] == "Kundenzentrum Test"
    assert row["open"] is True and row["waiting"] == 3
    assert row["estimated_wait_minutes"] > 0
    assert row["updated_at"]
    assert [g["letter"] for g in row["groups"]] == ["A", "B"]


def test_waiting_times_api_queries_are_pinned(client, django_assert_num_queries):
    from buergerbuero.tickets.demo import demo_load_tickets

    demo_load_tickets()  # three centres, three groups each
    # Centres with their hours, closures and groups (4); per centre: waiting, counters with
    # their groups (3); per group: service times, free counters (2). A change here is an
    # N+1 regression or a fix.
    with django_assert_num_queries(4 + 3 * 3 + 9 * 2):
        data = client.get("/api/v1/waiting-times").json()
    assert len(data) == 3


def test_the_fall_back_night_keeps_one_day_of_numbers_and_ends_it_at_local_midnight(
    client, centre, groups, time_machine, settings
):
    """The last Sunday of October has 02:30 twice: both belong to that Sunday's numbering.
    A ticket drawn at 00:30 on Monday (a real 25 hours after Sunday began) starts a new day;
    Sunday's ticket shows as expired."""
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 100  # the pages without a proof of work
    a, _ = groups
    url = reverse("tickets:remote_draw", args=[centre.slug])
    drawn = []
    for utc in (
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),  # 02:30 CEST
        dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC),  # 02:30 CET, an hour later
        dt.datetime(2026, 10, 25, 22, 59, tzinfo=dt.UTC),  # 23:59 CET
        dt.datetime(2026, 10, 25, 23, 30, tzinfo=dt.UTC),  # Monday 00:30 CET
    ):
        time_machine.move_to(utc)
        response = client.post(url, {"group": a.pk})
        assert response.status_code == 302
        drawn.append(Ticket.objects.get(public_id=response["Location"].split("/")[-2]))

    assert [(t.display, t.day.isoformat()) for t in drawn] == [
        ("A-001", "2026-10-25"),
        ("A-002", "2026-10-25"),
        ("A-003", "2026-10-25"),
        ("A-001", "2026-10-26"),
    ]
    sunday = client.get(reverse("tickets:status", args=[drawn[2].public_id])).content.decode()
    monday = client.get(reverse("tickets:status", args=[drawn[3].public_id])).content.decode()
    assert "ist abgelaufen" in sunday
    assert "ist abgelaufen" not in monday and "Sie sind als Nächstes an der Reihe" in monday


def test_the_spring_forward_night_numbers_on_across_the_missing_hour(
    client, centre, groups, time_machine
):
    a, _ = groups
    url = reverse("tickets:remote_draw", args=[centre.slug])
    shown = []
    for utc in (
        dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC),  # 01:59 CET
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),  # 03:00 CEST, a minute later
    ):
        time_machine.move_to(utc)
        status = client.get(client.post(url, {"group": a.pk})["Location"]).content.decode()
        shown.append(re.search(r"Wartemarke (A-\d{3})", status).group(1))
        assert "ist abgelaufen" not in status

    assert shown == ["A-001", "A-002"]
    assert set(Ticket.objects.values_list("day", flat=True)) == {dt.date(2026, 3, 29)}

"""Video appointments: free times cut from the consultation hours, booking without double
booking, the email with the calendar file and the link, cancelling, and at its time the
way into the waiting room ahead of walk-in knocks."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buergerbuero.appointments.services import SlotTaken, token_hash
from buergerbuero.notifications.models import OutgoingEmail
from buergerbuero.videooffice import appointments, queue, services
from buergerbuero.videooffice.models import (
    ConsultationHours,
    Knock,
    KnockState,
    VideoAppointment,
    VideoAppointmentState,
)

from .conftest import make_office, make_staff

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY = dt.datetime(2027, 3, 7, 12, 0, tzinfo=BERLIN)  # Monday 8 March is released
MONDAY = dt.date(2027, 3, 8)
EASTER_MONDAY = dt.date(2027, 3, 29)
CONTACT = {
    "name": "Erika Mustermann",
    "email": "erika@example.org",
    "concern": "Ich möchte meinen Wohnsitz ummelden.",
    "language": "de",
    "mode": "video",
    "consent": "on",
}


@pytest.fixture
def bauaufsicht(db):
    """Consultation hours only on Mondays 09:00–10:00; 20-minute appointments."""
    office = make_office("test-bau", "bauaufsicht", name="Bauaufsicht", appointment_minutes=20)
    office.hours.all().delete()
    ConsultationHours.objects.create(office=office, weekday=0, opens=dt.time(9), closes=dt.time(10))
    return office


@pytest.fixture
def open_office(db):
    """Open around the clock, 20-minute appointments, one at a time."""
    return make_office("test-termine", name="Bürgerservice mit Termin", appointment_minutes=20)


def book(office, starts_at, now, **contact):
    data = {**CONTACT, **contact}
    return appointments.video_appointment_book(
        office=office,
        starts_at=starts_at,
        name=data["name"],
        email=data["email"],
        concern=data["concern"],
        language=data["language"],
        mode=data["mode"],
        now=now,
    )


def times_on(office, day, now):
    return [
        timezone.localtime(s.starts_at).strftime("%H:%M")
        for d, free in appointments.days_with_slots(office, now=now)
        if d == day
        for s in free
    ]


def test_the_consultation_hour_is_cut_into_blocks_of_the_appointment_length(bauaufsicht):
    assert times_on(bauaufsicht, MONDAY, SUNDAY) == ["09:00", "09:20", "09:40"]
    # Only Mondays; and no appointments on a public holiday (Easter Monday).
    days = [d for d, _free in appointments.days_with_slots(bauaufsicht, now=SUNDAY)]
    assert days and all(d.weekday() == 0 for d in days)
    assert EASTER_MONDAY not in days


def test_no_times_for_an_office_without_appointments_or_past_the_release(bauaufsicht):
    later = dt.datetime(2027, 1, 10, 12, tzinfo=BERLIN)  # 8 March is 57 days away
    assert MONDAY not in [d for d, _ in appointments.days_with_slots(bauaufsicht, now=later)]
    bauaufsicht.appointment_minutes = 0
    assert appointments.days_with_slots(bauaufsicht, now=SUNDAY) == []


def test_a_booked_block_is_gone_unless_a_second_line_is_free(bauaufsicht):
    nine = dt.datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN)
    book(bauaufsicht, nine, SUNDAY)
    assert times_on(bauaufsicht, MONDAY, SUNDAY) == ["09:20", "09:40"]

    bauaufsicht.appointment_lines = 2
    bauaufsicht.save()
    assert times_on(bauaufsicht, MONDAY, SUNDAY) == ["09:00", "09:20", "09:40"]
    second, _token = book(bauaufsicht, nine, SUNDAY, email="zweite@example.org")
    assert second.line == 2
    assert times_on(bauaufsicht, MONDAY, SUNDAY) == ["09:20", "09:40"]


def test_booking_a_taken_time_offers_the_next_free_ones_and_books_nothing(bauaufsicht):
    nine = dt.datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN)
    book(bauaufsicht, nine, SUNDAY)

    with pytest.raises(SlotTaken) as taken:
        book(bauaufsicht, nine, SUNDAY, email="spaet@example.org")

    offered = [timezone.localtime(s.starts_at) for s in taken.value.alternatives]
    assert [t.strftime("%d.%m. %H:%M") for t in offered] == [
        "08.03. 09:20",
        "08.03. 09:40",
        "15.03. 09:00",
    ]
    assert VideoAppointment.objects.count() == 1


def test_the_database_refuses_a_second_appointment_on_the_same_line_and_time(bauaufsicht):
    nine = dt.datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN)
    first, _token = book(bauaufsicht, nine, SUNDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoAppointment.objects.create(
            office=bauaufsicht,
            line=first.line,
            starts_at=first.starts_at,
            ends_at=first.ends_at,
            name="Vorbei an der Prüfung",
            email="x@example.org",
            consent_at=SUNDAY,
            token_hash="x",
        )
    # A cancelled appointment holds nothing: the same line and time can be taken again.
    assert appointments.video_appointment_cancel(first)
    again, _token = book(bauaufsicht, nine, SUNDAY, email="neu@example.org")
    assert again.line == first.line and again.starts_at == first.starts_at


def test_times_off_the_grid_or_outside_the_hours_cannot_be_booked(bauaufsicht):
    for wrong in [(9, 10), (10, 0), (8, 40)]:
        with pytest.raises(SlotTaken):
            book(bauaufsicht, dt.datetime(2027, 3, 8, *wrong, tzinfo=BERLIN), SUNDAY)
    assert not VideoAppointment.objects.exists()


def test_the_confirmation_email_carries_the_calendar_file_and_the_link(bauaufsicht):
    nine = dt.datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN)
    appointment, token = book(bauaufsicht, nine, SUNDAY)

    email = OutgoingEmail.objects.get(topic="video_appointment.booked")
    assert email.to == "erika@example.org"
    assert "Montag, 8. März 2027, 09:00–09:20 Uhr" in email.body_text
    link = re.search(r"http\S+/video-sprechstunde/termin/\S+", email.body_text).group(0)
    assert urlsplit(link).path == reverse("videooffice:appointment", args=[appointment.public_id])
    assert parse_qs(urlsplit(link).query)["t"] == [token]
    ics = email.attachments.get().content
    ics = bytes(ics).decode()
    assert "DTSTART:20270308T080000Z" in ics and "DTEND:20270308T082000Z" in ics
    assert "Bauaufsicht" in ics
    assert appointment.token_hash == token_hash(token) and token not in appointment.token_hash


def test_cancelling_frees_the_time_at_once_and_confirms_by_email(bauaufsicht):
    nine = dt.datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN)
    appointment, _token = book(bauaufsicht, nine, SUNDAY)

    assert appointments.video_appointment_cancel(appointment)
    assert not appointments.video_appointment_cancel(appointment)  # a second click: no-op

    assert times_on(bauaufsicht, MONDAY, SUNDAY) == ["09:00", "09:20", "09:40"]
    assert OutgoingEmail.objects.filter(topic="video_appointment.cancelled").count() == 1
    book(bauaufsicht, nine, SUNDAY, email="naechste@example.org")


def test_one_person_holds_at_most_the_limit_of_open_appointments(bauaufsicht, settings):
    settings.APPOINTMENT_MAX_OPEN_PER_PERSON = 2
    for hour, minute in [(9, 0), (9, 20)]:
        book(bauaufsicht, dt.datetime(2027, 3, 8, hour, minute, tzinfo=BERLIN), SUNDAY)
    with pytest.raises(ValidationError) as refused:
        book(
            bauaufsicht,
            dt.datetime(2027, 3, 8, 9, 40, tzinfo=BERLIN),
            SUNDAY,
            email="ERIKA@example.org",
        )
    assert "Sie haben schon 2 offene Termine" in refused.value.messages[0]


# -- the pages -------------------------------------------------------------------------


def test_the_office_page_offers_appointments_only_where_there_are_any(client, open_office, office):
    assert (
        "Video-Termin buchen"
        in client.get(reverse("videooffice:office", args=[open_office.slug])).content.decode()
    )
    assert (
        "Video-Termin buchen"
        not in client.get(reverse("videooffice:office", args=[office.slug])).content.decode()
    )
    assert (
        client.get(reverse("videooffice:appointment_times", args=[office.slug])).status_code == 404
    )


def test_booking_on_the_pages_keeps_what_was_typed_and_ends_on_the_appointment(client, open_office):
    times = client.get(reverse("videooffice:appointment_times", args=[open_office.slug]))
    link = re.search(r'href="([^"]+/termin/buchen/\?beginn=[^"]+)"', times.content.decode()).group(
        1
    )
    form_url = link.replace("&amp;", "&")

    # Bad input: the German message, everything typed kept, nothing booked.
    bad = client.post(form_url, {**CONTACT, "email": "erika-at-example", "consent": ""})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "Bitte geben Sie eine E-Mail-Adresse an" in html
    assert "Bitte bestätigen Sie den Datenschutzhinweis, um den Termin zu buchen." in html
    assert 'value="Erika Mustermann"' in html and "Wohnsitz ummelden" in html
    assert not VideoAppointment.objects.exists()

    booked = client.post(form_url, CONTACT)
    assert booked.status_code == 302
    page = client.get(booked["Location"]).content.decode()
    assert "Ihr Video-Termin ist gebucht." in page
    assert "Der Warteraum öffnet am" in page or "Warteraum betreten" in page
    # Without the token nobody sees it.
    appointment = VideoAppointment.objects.get()
    assert (
        client.get(reverse("videooffice:appointment", args=[appointment.public_id])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("videooffice:appointment", args=[appointment.public_id]) + "?t=falsch"
        ).status_code
        == 404
    )


def test_a_time_taken_meanwhile_is_told_with_the_next_times_and_the_data_kept(client, open_office):
    slot = appointments.days_with_slots(open_office)[0][1][0]
    book(open_office, slot.starts_at, None, email="schneller@example.org")
    param = slot.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")

    response = client.post(
        reverse("videooffice:appointment_book", args=[open_office.slug]) + f"?beginn={param}",
        {**CONTACT, "beginn": param},
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "Dieser Termin ist leider gerade vergeben worden." in html
    assert html.count('name="beginn" value=') == 3 and 'value="Erika Mustermann"' in html


def _due_appointment(office, *, starts_in_minutes: int, email="erika@example.org"):
    """An appointment starting ``starts_in_minutes`` from now (written directly: the
    booking only offers future blocks), with its token."""
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(
        minutes=starts_in_minutes
    )
    appointment = VideoAppointment.objects.create(
        office=office,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=20),
        name="Erika Mustermann",
        email=email,
        concern="Termin: Meldebescheinigung",
        consent_at=timezone.now(),
        token_hash=token_hash("geheim"),
    )
    return appointment, reverse("videooffice:appointment", args=[appointment.public_id])


def test_the_waiting_room_opens_ten_minutes_before_and_not_earlier(open_office):
    appointment, url = _due_appointment(open_office, starts_in_minutes=30)
    browser = Client()

    page = browser.get(url + "?t=geheim").content.decode()
    assert "Der Warteraum öffnet am" in page and "Warteraum betreten" not in page
    refused = browser.post(
        reverse("videooffice:appointment_enter", args=[appointment.public_id]), {"t": "geheim"}
    )
    assert refused.status_code == 409
    assert "Der Warteraum öffnet 10 Minuten vor Ihrem Termin." in refused.content.decode()
    assert not Knock.objects.exists()


def test_at_its_time_the_holder_waits_ahead_of_walk_ins_but_behind_a_cut_off_call(
    open_office, citizens
):
    walk_in = citizens().knock(open_office, concern="ohne Termin")
    appointment, url = _due_appointment(open_office, starts_in_minutes=5)
    browser = Client(REMOTE_ADDR="198.51.100.200")
    assert "Warteraum betreten" in browser.get(url + "?t=geheim").content.decode()

    entered = browser.post(
        reverse("videooffice:appointment_enter", args=[appointment.public_id]), {"t": "geheim"}
    )

    knock = Knock.objects.get(appointment=appointment)
    assert entered.status_code == 302
    assert entered["Location"] == reverse("videooffice:waiting_room", args=[knock.public_id])
    assert (
        knock.priority == Knock.PRIORITY_APPOINTMENT
        and knock.concern == "Termin: Meldebescheinigung"
    )
    assert queue.position_of(knock) == 1 and queue.position_of(walk_in) == 2
    assert browser.get(entered["Location"]).status_code == 200  # this browser owns the knock
    appointment.refresh_from_db()
    assert appointment.state == VideoAppointmentState.ENTERED

    # The link again (another tab): the same place, not a second knock.
    again = browser.post(
        reverse("videooffice:appointment_enter", args=[appointment.public_id]), {"t": "geheim"}
    )
    assert again["Location"] == entered["Location"] and Knock.objects.count() == 2

    # Someone whose call was cut off comes back ahead of the appointment.
    Knock.objects.filter(pk=walk_in.pk).update(priority=Knock.PRIORITY_RETURNED)
    assert queue.position_of(Knock.objects.get(pk=walk_in.pk)) == 1
    assert queue.position_of(knock) == 2


def test_a_cancelled_or_past_appointment_opens_no_door(open_office):
    appointment, url = _due_appointment(open_office, starts_in_minutes=-25)  # ended 5 min ago
    browser = Client()
    page = browser.get(url + "?t=geheim").content.decode()
    assert "Die Zeit dieses Termins ist vorbei." in page
    over = browser.post(
        reverse("videooffice:appointment_enter", args=[appointment.public_id]), {"t": "geheim"}
    )
    assert over.status_code == 409 and not Knock.objects.exists()

    cancelled, url = _due_appointment(open_office, starts_in_minutes=60, email="b@example.org")
    confirm = browser.get(
        reverse("videooffice:appointment_cancel", args=[cancelled.public_id]) + "?t=geheim"
    )
    assert "Möchten Sie diesen Termin wirklich absagen?" in confirm.content.decode()
    done = browser.post(
        reverse("videooffice:appointment_cancel", args=[cancelled.public_id]), {"t": "geheim"}
    )
    assert "Ihr Termin ist abgesagt." in done.content.decode()
    cancelled.refresh_from_db()
    assert cancelled.state == VideoAppointmentState.CANCELLED


def test_the_caseworker_sees_the_appointment_in_the_queue_and_the_day(
    client, open_office, citizens
):
    from django.contrib.auth.models import Group

    from buergerbuero.identity.staff.roles import CASEWORKERS

    petra = make_staff("petra.termin", open_office)
    petra.departments.add(open_office.department)
    petra.groups.add(Group.objects.get(name=CASEWORKERS))
    appointment, _url = _due_appointment(open_office, starts_in_minutes=5)
    appointments.video_appointment_enter(appointment, citizens().request())
    client.force_login(petra)

    html = client.get("/sachbearbeitung/video/").content.decode()

    start = timezone.localtime(appointment.starts_at).strftime("%H:%M")
    assert f"Termin um {start} Uhr" in html
    assert "Termine heute" in html and "im Warteraum" in html
    assert "Erika" not in html  # the dashboard names nobody


def test_housekeeping_reminds_the_day_before_once_and_records_who_missed(bauaufsicht):
    nine = dt.datetime(2027, 3, 8, 9, 0, tzinfo=BERLIN)
    appointment, _token = book(bauaufsicht, nine, SUNDAY)

    assert appointments.appointments_housekeeping(SUNDAY)["reminded"] == 1
    assert appointments.appointments_housekeeping(SUNDAY)["reminded"] == 0
    reminder = OutgoingEmail.objects.get(topic="video_appointment.reminder")
    assert "Morgen haben Sie einen Video-Termin" in reminder.body_text

    after = dt.datetime(2027, 3, 8, 9, 30, tzinfo=BERLIN)
    assert appointments.appointments_housekeeping(after)["missed"] == 1
    appointment.refresh_from_db()
    assert appointment.state == VideoAppointmentState.MISSED

    month_later = after + dt.timedelta(days=31)
    assert appointments.appointments_housekeeping(month_later)["forgotten"] == 1
    appointment.refresh_from_db()
    assert (appointment.name, appointment.email, appointment.concern) == ("", "", "")


def test_an_appointment_knock_may_come_before_the_hour_opens(bauaufsicht, citizens):
    """The door opens ten minutes early even when the consultation hour has not begun:
    a walk-in knock at that moment is refused, the appointment's is not."""
    bauaufsicht.hours.all().delete()
    now = timezone.localtime()
    opens = (now + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    ConsultationHours.objects.create(
        office=bauaufsicht,
        weekday=opens.weekday(),
        opens=opens.time(),
        closes=min(dt.time(23, 59), (opens + dt.timedelta(minutes=40)).time())
        if opens.date() == (opens + dt.timedelta(minutes=40)).date()
        else dt.time(23, 59),
    )
    with pytest.raises(services.KnockRefused):
        citizens().knock(bauaufsicht)
    appointment, _url = _due_appointment(bauaufsicht, starts_in_minutes=5)
    knock = appointments.video_appointment_enter(appointment, citizens().request())
    assert knock.state == KnockState.KNOCKING


def _book_url(office):
    slot = appointments.days_with_slots(office)[0][1][0]
    param = slot.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    return reverse("videooffice:appointment_book", args=[office.slug]) + f"?beginn={param}"


def test_a_solved_proof_of_work_books_and_a_reused_one_does_not(client, open_office, settings):
    from buergerbuero.core.testing import altcha_solve

    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 0  # only a solution lets a booking through
    page = client.get(_book_url(open_office)).content.decode()
    assert "<altcha-widget" in page
    solved = altcha_solve(client)

    booked = client.post(_book_url(open_office), {**CONTACT, "altcha": solved})
    again = client.post(
        _book_url(open_office), {**CONTACT, "email": "b@example.org", "altcha": solved}
    )
    without = client.post(_book_url(open_office), {**CONTACT, "email": "c@example.org"})

    assert booked.status_code == 302
    assert again.status_code == 400
    assert "Diese Sicherheitsprüfung wurde schon verwendet." in again.content.decode()
    assert without.status_code == 429
    assert "Ohne JavaScript nehmen wir von Ihrem Anschluss gerade nichts mehr an." in (
        without.content.decode()
    )
    assert 'value="Erika Mustermann"' in without.content.decode()
    assert VideoAppointment.objects.count() == 1


def test_many_bookings_from_one_address_are_stopped_with_the_data_kept(
    client, open_office, settings
):
    settings.APPOINTMENT_BOOKINGS_PER_ADDRESS_HOUR = 2
    settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR = 10
    for i in range(2):
        response = client.post(_book_url(open_office), {**CONTACT, "email": f"p{i}@example.org"})
        assert response.status_code == 302

    refused = client.post(_book_url(open_office), {**CONTACT, "email": "p3@example.org"})

    html = refused.content.decode()
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "sehr viele Termine gebucht" in html and 'value="p3@example.org"' in html
    assert VideoAppointment.objects.count() == 2
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert (
        other.post(_book_url(open_office), {**CONTACT, "email": "x@example.org"}).status_code == 302
    )

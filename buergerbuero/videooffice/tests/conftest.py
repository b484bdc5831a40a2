"""Fixtures of the video office: an always-open office with its caseworker, and citizens
who knock from their own browsers (a Django test client each, so that the session that
knocked is the one their WebSockets carry)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client, RequestFactory

from buergerbuero.organisation.models import Department
from buergerbuero.videooffice import services
from buergerbuero.videooffice.models import ConsultationHours, VideoOffice


def always_open(office: VideoOffice) -> VideoOffice:
    for weekday in range(7):
        ConsultationHours.objects.create(
            office=office, weekday=weekday, opens=dt.time(0, 0), closes=dt.time(23, 59, 59)
        )
    return office


def make_office(slug: str, department: str = "kundenzentren", **fields) -> VideoOffice:
    department, _ = Department.objects.get_or_create(slug=department, defaults={"name": department})
    office = VideoOffice.objects.create(
        slug=slug, name=fields.pop("name", slug.title()), department=department, **fields
    )
    return always_open(office)


def make_staff(username: str, *offices: VideoOffice):
    user = get_user_model().objects.create_user(
        username, password="geheim-123", is_staff=True, first_name="Petra", last_name=username
    )
    for office in offices:
        office.caseworkers.add(user)
    return user


@pytest.fixture
def office(db):
    return make_office("test-buergerservice", name="Bürgerservice", typical_call_minutes=6)


@pytest.fixture
def other_office(db):
    return make_office("test-gewerbe", "gewerbeamt", name="Gewerbe")


@pytest.fixture
def caseworker(office):
    return make_staff("petra", office)


class Citizen:
    """One citizen's browser: its session is shared by the knock request and the sockets."""

    def __init__(self, user=None, address: str = "198.51.100.7"):
        self.client = Client(REMOTE_ADDR=address)
        if user is not None:
            self.client.force_login(user)
        self.address = address
        self.user = user

    def request(self):
        request = RequestFactory().post("/", REMOTE_ADDR=self.address)
        SessionMiddleware(lambda r: None).process_request(request)
        session = self.client.session
        request.session = session
        from django.contrib.auth.models import AnonymousUser

        request.user = self.user or AnonymousUser()
        return request

    def knock(self, office: VideoOffice, concern: str = "", **fields):
        request = self.request()
        knock = services.knock_create(
            office=office,
            request=request,
            concern=concern,
            language=fields.get("language", "de"),
            mode=fields.get("mode", "video"),
        )
        request.session.save()
        return knock


@pytest.fixture
def citizens(db):
    """A factory of citizens, each with a browser of their own and an address of their own."""
    count = iter(range(1, 1000))
    return lambda **kw: Citizen(address=f"198.51.100.{next(count)}", **kw)

"""Idle sessions end; staff areas admit only staff logins (with the second factor).

``IdleSessionMiddleware`` notes the time of each request of a logged-in person and logs
them out when the gap was longer than their timeout (staff 30, citizens 60 minutes by
default). They land on the right login page with a message why, and come back where they
were. Drafts are stored in the database at every step and belong to the account, so after
logging in again they are all in "Mein Bürgerbüro".

``StaffAreaMiddleware`` guards the staff areas (back office, cash office, admin): an
anonymous visitor goes to the staff login, and where a second factor is required a staff
session without one is sent there too, before any staff view runs. The views check the
role themselves (403 for the wrong one).
"""

from __future__ import annotations

import logging
import re
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .second_factor import second_factor_required
from .signals import SESSION_LAST_SEEN

logger = logging.getLogger("buergerbuero.identity")

# The stored time is rewritten at most once a minute: not every request writes the session.
_RESOLUTION_SECONDS = 60

# Paths of the staff areas, with or without a language prefix (/en/kasse/).
STAFF_AREAS = re.compile(r"^/(?:[a-z]{2}/)?(?:sachbearbeitung|kasse)/|^/admin/")
ADMIN_LOGIN = re.compile(r"^/admin/login/")


def staff_login_url(next_url: str = "") -> str:
    url = reverse("identity:staff_login")
    return redirect_to_login(next_url, login_url=url)["Location"] if next_url else url


def idle_timeout_seconds(user) -> int:
    minutes = (
        settings.STAFF_IDLE_TIMEOUT_MINUTES
        if user.is_staff
        else settings.CITIZEN_IDLE_TIMEOUT_MINUTES
    )
    return int(minutes) * 60


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN)
            if last_seen is not None and now - last_seen > idle_timeout_seconds(user):
                return self._expired(request, user)
            if last_seen is None or now - last_seen >= _RESOLUTION_SECONDS:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)

    def _expired(self, request, user):
        staff = user.is_staff
        minutes = idle_timeout_seconds(user) // 60
        logger.info("session of user %s ended after %s idle minutes", user.pk, minutes)
        logout(request)
        # After logout: the message goes to the fresh session (or cookie) of the login page.
        messages.info(
            request,
            _(
                "Sie wurden abgemeldet, weil Sie %(minutes)s Minuten lang nichts getan haben. "
                "Bitte melden Sie sich erneut an."
            )
            % {"minutes": minutes},
        )
        next_url = request.get_full_path() if request.method == "GET" else ""
        if staff:
            return redirect(staff_login_url(next_url))
        if next_url:
            return redirect_to_login(next_url)
        return redirect(settings.LOGIN_URL)


class StaffAreaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if STAFF_AREAS.match(path):
            user = request.user
            next_url = request.get_full_path()
            if ADMIN_LOGIN.match(path):
                # The admin's own login page is not used: staff log in at the staff login.
                return redirect(staff_login_url(request.GET.get("next") or reverse("admin:index")))
            if not user.is_authenticated:
                return redirect(staff_login_url(next_url if request.method == "GET" else ""))
            if second_factor_required(user) and not user.is_verified():
                messages.warning(
                    request,
                    _(
                        "Für diesen Bereich bestätigen Sie Ihre Anmeldung bitte mit dem "
                        "zweiten Faktor (Code aus Ihrer Authenticator-App)."
                    ),
                )
                return redirect(staff_login_url(next_url if request.method == "GET" else ""))
        return self.get_response(request)

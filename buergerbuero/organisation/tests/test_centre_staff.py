"""Who works at a customer centre: the counters and the appointment day view ask this."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from buergerbuero.identity.staff.roles import works_at_centre
from buergerbuero.organisation.models import CustomerCentre

pytestmark = pytest.mark.django_db


def test_only_the_centres_own_staff_and_administrators_work_there():
    kalk = CustomerCentre.objects.get(slug="kundenzentrum-kalk")
    porz = CustomerCentre.objects.get(slug="kundenzentrum-porz")
    User = get_user_model()
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.centres.set([kalk])
    citizen = User.objects.create_user("citizen")
    citizen.centres.set([kalk])  # assigned by mistake: still no staff account

    assert works_at_centre(clerk, kalk.pk)
    assert not works_at_centre(clerk, porz.pk)
    assert not works_at_centre(citizen, kalk.pk)
    assert not works_at_centre(AnonymousUser(), kalk.pk)
    clerk.is_active = False
    assert not works_at_centre(clerk, kalk.pk)
    assert works_at_centre(User.objects.get(username="admin"), porz.pk)


def test_the_demo_counter_clerk_works_in_kalk():
    okafor = get_user_model().objects.get(username="okafor")
    assert okafor.is_staff and okafor.check_password("koeln-okafor")
    assert list(okafor.centres.values_list("slug", flat=True)) == ["kundenzentrum-kalk"]

"""The waiting-time estimate: learns from today's service times, ignores outliers, counts
the open counters."""

from __future__ import annotations

import datetime as dt

import pytest

from buergerbuero.tickets import selectors, services
from buergerbuero.tickets.waiting_time import ServiceTimes, capacity_for, estimate_wait

from .conftest import draw


def test_in_the_morning_the_typical_time_counts():
    times = ServiceTimes.learn([], typical=10)
    assert estimate_wait(3, times, capacity=1).minutes == 35  # (3 + ½) × 10


def test_the_days_own_times_take_over_and_one_outlier_does_not_double_it():
    slow_day = ServiceTimes.learn([20.0] * 12, typical=10)
    assert 17 < slow_day.mean < 20
    with_outlier = ServiceTimes.learn([20.0] * 11 + [240.0], typical=10)
    assert with_outlier.mean < 1.5 * slow_day.mean


def test_range_contains_the_point_and_a_free_counter_means_no_wait():
    times = ServiceTimes.learn([8, 9, 10, 11, 12, 15, 7, 9], typical=10)
    estimate = estimate_wait(6, times, capacity=2)
    assert estimate.low < estimate.minutes < estimate.high
    assert estimate_wait(0, times, capacity=2, free=1).minutes == 0


def test_a_shared_counter_counts_by_the_share_of_the_waiting():
    counters = [([1, 2], True), ([1], True), ([2], False)]
    assert capacity_for(1, counters, {1: 6, 2: 2}) == pytest.approx(1.75)
    assert capacity_for(2, counters, {1: 6, 2: 2}) == pytest.approx(0.25)


@pytest.mark.django_db
def test_the_status_page_learns_from_tickets_done_today(centre, groups, counters, time_machine):
    a, _ = groups
    one, two = counters
    time_machine.move_to(dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC))
    services.counter_close(counter=one)  # one counter for A
    for _ in range(4):
        draw(centre, a)
    for minute in (0, 20, 40):  # three tickets of 20 minutes each
        time_machine.move_to(dt.datetime(2026, 12, 3, 8, minute, tzinfo=dt.UTC))
        ticket = services.counter_call_next(counter=two)
        services.ticket_serve_start(ticket=ticket)
        time_machine.move_to(dt.datetime(2026, 12, 3, 8, minute + 19, 59, tzinfo=dt.UTC))
        services.ticket_done(ticket=ticket)
    last = draw(centre, a)
    # Schalter 2 is free: the next ticket is called at once, this one waits half a service.
    morning_guess = estimate_wait(1, ServiceTimes.learn([], 10), capacity=1, free=1).minutes

    status = selectors.ticket_status(last)

    assert status.ahead == 1
    assert morning_guess == 5  # ½ × 10 typical minutes
    # ½ × (3 × 20 + 3 × 10) / 6: slower than typical, so a longer estimate.
    assert status.estimate.minutes == 7

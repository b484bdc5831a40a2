"""Appointments: bookable services per centre, counter plans, appointments and their seats."""

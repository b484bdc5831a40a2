"""Public pages of the walk-in queue: kiosk, ticket status, call display, waiting times."""

from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("kiosk/<slug:slug>/", views.kiosk, name="kiosk"),
    path("kiosk/<slug:slug>/marke/<uuid:public_id>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("wartemarke/<uuid:public_id>/", views.status, name="status"),
    path("wartemarke/<uuid:public_id>/stand/", views.status_fragment, name="status_fragment"),
    path("wartemarke/<uuid:public_id>/zurueckgeben/", views.cancel, name="cancel"),
    path("wartemarke/<slug:slug>/ziehen/", views.remote_draw, name="remote_draw"),
    path("aufrufanzeige/<slug:slug>/", views.call_display, name="call_display"),
    path(
        "aufrufanzeige/<slug:slug>/stand/",
        views.call_display_fragment,
        name="call_display_fragment",
    ),
    path("wartezeiten/", views.waiting_times, name="waiting_times"),
]

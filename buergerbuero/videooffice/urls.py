"""The citizen's pages of the video office (German paths, like the rest of the portal)."""

from django.urls import path

from . import appointment_views, public_views, views

app_name = "videooffice"

urlpatterns = [
    path("video-sprechstunde/", public_views.office_list, name="offices"),
    path("video-sprechstunde/warteraum/<uuid:public_id>/", views.waiting_room, name="waiting_room"),
    path("video-sprechstunde/warteraum/<uuid:public_id>/verlassen/", views.leave, name="leave"),
    path("video-sprechstunde/gespraech/<uuid:public_id>/", views.call, name="call"),
    path(
        "video-sprechstunde/gespraech/<uuid:public_id>/ticket/",
        views.call_ticket,
        name="call_ticket",
    ),
    path(
        "video-sprechstunde/gespraech/<uuid:public_id>/dokument/",
        views.call_document,
        name="call_document",
    ),
    path("video-sprechstunde/gespraech/<uuid:public_id>/bewertung/", views.rating, name="rating"),
    path(
        "video-sprechstunde/termin/<uuid:public_id>/",
        appointment_views.appointment,
        name="appointment",
    ),
    path(
        "video-sprechstunde/termin/<uuid:public_id>/eintreten/",
        appointment_views.enter,
        name="appointment_enter",
    ),
    path(
        "video-sprechstunde/termin/<uuid:public_id>/absagen/",
        appointment_views.cancel,
        name="appointment_cancel",
    ),
    path("video-sprechstunde/<slug:slug>/", views.office, name="office"),
    path(
        "video-sprechstunde/<slug:slug>/termin/",
        appointment_views.times,
        name="appointment_times",
    ),
    path(
        "video-sprechstunde/<slug:slug>/termin/buchen/",
        appointment_views.book,
        name="appointment_book",
    ),
    path("video-sprechstunde/<slug:slug>/anklopfen/", views.knock, name="knock"),
]

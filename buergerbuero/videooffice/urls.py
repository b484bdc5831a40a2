"""The citizen's pages of the video office (German paths, like the rest of the portal)."""

from django.urls import path

from . import public_views, views

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
    path("video-sprechstunde/<slug:slug>/", views.office, name="office"),
    path("video-sprechstunde/<slug:slug>/anklopfen/", views.knock, name="knock"),
]

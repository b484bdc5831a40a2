"""Citizens' pages: booking an appointment (/termine/…)."""

from django.urls import path

from . import views

app_name = "appointments"
urlpatterns = [
    path("termine/", views.start, name="start"),
    path("termine/standorte/", views.centres, name="centres"),
    path("termine/standort/<slug:slug>/", views.centre, name="centre"),
    path("termine/standort/<slug:slug>/buchen/", views.book, name="book"),
    path("termine/<uuid:public_id>/", views.manage, name="manage"),
    path("termine/<uuid:public_id>/absagen/", views.cancel, name="cancel"),
    path("termine/<uuid:public_id>/verschieben/", views.move, name="move"),
]

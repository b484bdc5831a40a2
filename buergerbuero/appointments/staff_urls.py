"""Staff pages of the appointments (/sachbearbeitung/termine/…)."""

from django.urls import path

from . import staff_views as views

app_name = "appointmentstaff"
urlpatterns = [
    path("", views.index, name="index"),
    path("termin/<uuid:public_id>/einchecken/", views.check_in, name="check_in"),
    path("termin/<uuid:public_id>/nicht-erschienen/", views.no_show, name="no_show"),
    path("<slug:slug>/", views.day, name="day"),
]

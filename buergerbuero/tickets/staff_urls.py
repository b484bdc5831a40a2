"""Staff pages of the walk-in queue: the counter screen (/sachbearbeitung/schalter/…)."""

from django.urls import path

from . import staff_views as views

app_name = "ticketstaff"
urlpatterns = [
    path("", views.counters, name="counters"),
    path("<int:pk>/", views.counter, name="counter"),
    path("<int:pk>/<slug:action>/", views.counter_action, name="counter_action"),
]

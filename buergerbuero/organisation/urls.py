from django.urls import path

from . import views

app_name = "organisation"

urlpatterns = [
    path("kundenzentren/", views.customer_centre_index, name="customer_centres"),
]

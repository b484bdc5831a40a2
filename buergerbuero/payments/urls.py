from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path(
        "bezahlen/testanbieter/<uuid:payment_id>/",
        views.builtin_test_provider_page,
        name="test_provider",
    ),
]

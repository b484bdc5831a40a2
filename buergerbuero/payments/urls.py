from django.urls import include, path

from . import callback_views, views

app_name = "payments"
urlpatterns = [
    path("kasse/", include("buergerbuero.payments.cash_urls")),
    path("", include("buergerbuero.payments.mandate_urls")),
    path("bezahlen/", views.reference_lookup, name="lookup"),
    path("bezahlen/kassenzeichen/<str:code>/", views.reference_page, name="reference"),
    path("bezahlen/kassenzeichen/<str:code>/girocode.png", views.girocode_png, name="girocode"),
    path("bezahlen/quittung/<uuid:payment_id>/", views.receipt, name="receipt"),
    path(
        "bezahlen/rueckmeldung/<slug:provider_key>/",
        callback_views.provider_callback,
        name="provider_callback",
    ),
    path(
        "bezahlen/testanbieter/<uuid:payment_id>/",
        views.builtin_test_provider_page,
        name="test_provider",
    ),
]

"""The citizen's SEPA mandate for a Kassenzeichen of their own; included by ``urls.py``
with ``path("", include("buergerbuero.payments.mandate_urls"))``."""

from django.urls import path

from . import direct_debit_views as views

urlpatterns = [
    path(
        "bezahlen/kassenzeichen/<str:code>/lastschrift/",
        views.mandate_create,
        name="mandate_create",
    ),
    path(
        "bezahlen/kassenzeichen/<str:code>/lastschrift/bestaetigung/",
        views.mandate_confirmation,
        name="mandate_confirmation",
    ),
]

"""SEPA direct debits under ``/kasse/``: mandates and pain.008 files."""

from django.urls import path

from . import direct_debit_views as views

urlpatterns = [
    path("lastschriften/", views.direct_debits, name="cash_direct_debits"),
    path("lastschriften/dateien/", views.run_create, name="cash_direct_debit_run_create"),
    path(
        "lastschriften/dateien/<str:message_id>/",
        views.run_download,
        name="cash_direct_debit_run_download",
    ),
    path(
        "lastschriften/einzuege/<uuid:payment_id>/ruecklastschrift/",
        views.collection_return,
        name="cash_direct_debit_return",
    ),
    path(
        "lastschriften/mandate/<int:mandate_id>/widerrufen/",
        views.mandate_revoke,
        name="cash_mandate_revoke",
    ),
]

"""The cash office (``/kasse/``): overview and payments here; bank statements and direct
debits in their own modules."""

from django.urls import include, path

from . import cash_views

urlpatterns = [
    path("", cash_views.overview, name="cash_overview"),
    path("zahlungen/", cash_views.payments_list, name="cash_payments"),
    path("zahlungen/<uuid:payment_id>/", cash_views.payment_detail, name="cash_payment"),
    path("kontoauszuege/demo.xml", cash_views.demo_statement, name="cash_demo_statement"),
    path("", include("buergerbuero.payments.statement_urls")),
    path("", include("buergerbuero.payments.direct_debit_urls")),
]

"""Bank statements (camt.053) and the credits a clerk has to clear, under ``/kasse/``."""

from django.urls import path

from . import statement_views as views

urlpatterns = [
    path("kontoauszuege/", views.statements, name="cash_statements"),
    path("kontoauszuege/<int:pk>/", views.statement_detail, name="cash_statement"),
    path("eingaenge/", views.credits_to_clear, name="cash_credits"),
    path("eingaenge/<int:pk>/", views.credit_detail, name="cash_credit"),
    path("eingaenge/<int:pk>/zuordnen/", views.credit_assign, name="cash_credit_assign"),
    path("eingaenge/<int:pk>/erledigen/", views.credit_clear, name="cash_credit_clear"),
    path("eingaenge/<int:pk>/zuruecknehmen/", views.credit_unassign, name="cash_credit_unassign"),
]

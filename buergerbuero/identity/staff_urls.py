"""The staff login and account pages under ``/verwaltung/`` (docs/identity-staff.md)."""

from django.urls import path

from .staff import views

urlpatterns = [
    path("verwaltung/anmelden/", views.staff_login, name="staff_login"),
    path("verwaltung/anmelden/code/", views.staff_code, name="staff_code"),
    path("verwaltung/zweiter-faktor/", views.staff_setup, name="staff_setup"),
    path("verwaltung/konto/", views.staff_account, name="staff_account"),
    path("verwaltung/konto/backup-codes/", views.staff_backup_codes, name="staff_backup_codes"),
]

"""Citizens' local accounts: registration, password reset, second factor and "Mein Konto"
(names prefixed ``account_``; the login page itself is ``identity:login``)."""

from django.urls import path

from .accounts import views

urlpatterns = [
    path("anmelden/code/", views.login_code, name="account_login_code"),
    path("registrieren/", views.register, name="account_register"),
    path("registrieren/gesendet/", views.register_done, name="account_register_done"),
    path("registrieren/bestaetigen/<str:token>/", views.verify, name="account_verify"),
    path("registrieren/link-anfordern/", views.verify_resend, name="account_verify_resend"),
    path(
        "passwort-vergessen/",
        views.PasswordResetView.as_view(),
        name="account_password_reset",
    ),
    path(
        "passwort-vergessen/gesendet/",
        views.PasswordResetDoneView.as_view(),
        name="account_password_reset_done",
    ),
    path(
        "passwort-neu/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="account_password_reset_confirm",
    ),
    path(
        "passwort-neu/fertig/",
        views.PasswordResetCompleteView.as_view(),
        name="account_password_reset_complete",
    ),
    path("mein-buergerbuero/konto/", views.account, name="account"),
    path("mein-buergerbuero/konto/angaben/", views.profile, name="account_profile"),
    path("mein-buergerbuero/konto/passwort/", views.password_change, name="account_password"),
    path(
        "mein-buergerbuero/konto/anmeldung/<int:identity_id>/trennen/",
        views.identity_unlink,
        name="account_identity_unlink",
    ),
    path("mein-buergerbuero/konto/zwei-faktor/", views.totp_setup, name="account_totp_setup"),
    path(
        "mein-buergerbuero/konto/zwei-faktor/ersatzcodes/",
        views.backup_codes,
        name="account_backup_codes",
    ),
    path(
        "mein-buergerbuero/konto/zwei-faktor/ausschalten/",
        views.totp_disable,
        name="account_totp_disable",
    ),
    path("mein-buergerbuero/konto/meine-daten/", views.export_summary, name="account_export"),
    path(
        "mein-buergerbuero/konto/meine-daten.json",
        views.export_download,
        name="account_export_download",
    ),
    path("mein-buergerbuero/konto/loeschen/", views.delete, name="account_delete"),
    path("konto-geloescht/", views.deleted, name="account_deleted"),
]

"""The development IdP (demo mode only; every view answers 404 otherwise)."""

from django.urls import path

from . import views

urlpatterns = [
    path("entwicklung/idp/metadata/", views.metadata, name="devidp_metadata"),
    path("entwicklung/idp/sso/", views.single_sign_on, name="devidp_sso"),
    path("entwicklung/idp/anmelden/<str:token>/", views.login_page, name="devidp_login"),
    path("entwicklung/idp/slo/", views.single_logout, name="devidp_slo"),
]

"""SAML endpoints of the service provider, mounted at /auth/saml/ without a language
prefix: the IdP knows one fixed URL per endpoint (they are in the SP metadata)."""

from django.urls import path

from . import views

app_name = "saml"
urlpatterns = [
    path("metadata/", views.metadata, name="metadata"),
    path("login/", views.login_start, name="login"),
    path("acs/", views.assertion_consumer, name="acs"),
    path("acs/fertig/", views.login_finish, name="finish"),
    path("logout/", views.logout_start, name="logout"),
    path("slo/", views.single_logout, name="slo"),
]

from django.urls import include, path

from . import views
from .accounts import views as account_views
from .saml import views as saml_views

app_name = "identity"
urlpatterns = [
    path("anmelden/", account_views.login, name="login"),
    # One logout for every way in: after a BundID login it also ends the session at the
    # IdP (single logout); otherwise it is a local logout.
    path("abmelden/", saml_views.logout_start, name="logout"),
    path("anmelden/verknuepfen/", views.link_confirm, name="link_confirm"),
    path("", include("buergerbuero.identity.account_urls")),
    path("", include("buergerbuero.identity.staff_urls")),
    path("", include("buergerbuero.identity.oidc.urls")),
    path("", include("buergerbuero.identity.devidp.urls")),
]

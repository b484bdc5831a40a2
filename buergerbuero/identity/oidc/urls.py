from django.urls import path

from . import views

urlpatterns = [
    path("anmelden/oidc/<slug:provider>/", views.oidc_start, name="oidc_start"),
    path("anmelden/oidc/<slug:provider>/rueckkehr/", views.oidc_callback, name="oidc_callback"),
]

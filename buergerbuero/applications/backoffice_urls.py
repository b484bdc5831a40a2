"""The caseworkers' work screen, mounted at ``/sachbearbeitung/``."""

from django.urls import path

from . import backoffice_views as views

app_name = "backoffice"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("vorgaenge/<str:reference>/", views.case_detail, name="case"),
    path("vorgaenge/<str:reference>/<slug:action>/", views.case_action, name="case_action"),
    path("dokumente/<int:pk>/", views.document_download, name="document"),
]

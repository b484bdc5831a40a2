"""The caseworkers' side of the video office, mounted at ``/sachbearbeitung/video/``."""

from django.urls import path

from . import staff_views as views

app_name = "videostaff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("warteschlange/", views.queue_fragment, name="queue"),
    path("status/", views.presence, name="presence"),
    path("anklopfen/<uuid:public_id>/einlassen/", views.admit, name="admit"),
    path("anklopfen/<uuid:public_id>/abweisen/", views.decline, name="decline"),
    path("anklopfen/<uuid:public_id>/weiterleiten/", views.transfer, name="transfer"),
    path("<slug:slug>/naechste/", views.admit_next, name="admit_next"),
    path("gespraech/<uuid:public_id>/", views.call, name="call"),
    path("gespraech/<uuid:public_id>/ende/", views.outcome, name="outcome"),
    path("gespraech/<uuid:public_id>/vorgang/", views.case, name="case"),
    path("gespraech/<uuid:public_id>/dokumente/", views.call_documents, name="call_documents"),
    path("gespraech/<uuid:public_id>/videoident/", views.videoident, name="videoident"),
    path("dokument/<int:pk>/", views.document, name="document"),
]

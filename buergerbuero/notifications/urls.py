from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("entwicklung/postausgang/", views.outbox, name="outbox"),
    path("entwicklung/postausgang/<int:email_id>/", views.outbox_detail, name="outbox_detail"),
    path(
        "entwicklung/postausgang/<int:email_id>/anhang/<int:attachment_id>/",
        views.outbox_attachment,
        name="outbox_attachment",
    ),
]

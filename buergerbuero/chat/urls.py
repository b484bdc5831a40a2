"""The chat page (``/chat/``); the widget on every other page posts to the API instead."""

from django.urls import path

from . import views

app_name = "chat"
urlpatterns = [
    path("chat/", views.page, name="page"),
]

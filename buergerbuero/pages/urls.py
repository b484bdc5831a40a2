from django.urls import path

from . import views
from .models import Page

app_name = "pages"

urlpatterns = [
    path("barrierefreiheit/", views.accessibility_statement, name="barrierefreiheit"),
    path("gebaerdensprache/", views.sign_language, name="gebaerdensprache"),
] + [
    path(f"{slug}/", views.page_view, {"slug": slug}, name=slug)
    for slug in (Page.Slug.IMPRESSUM, Page.Slug.PRIVACY, Page.Slug.EASY_LANGUAGE, Page.Slug.CONTACT)
]

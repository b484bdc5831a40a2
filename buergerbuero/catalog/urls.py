from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("suche/", views.search, name="search"),
    path("leistungen/", views.service_index, name="service_index"),
    path("leistungen/<slug:slug>/", views.service_detail, name="service"),
    path("lebenslagen/", views.life_situation_index, name="life_situation_index"),
    path("lebenslagen/<slug:slug>/", views.life_situation_detail, name="life_situation"),
    path("themen/", views.category_index, name="category_index"),
    path("themen/<slug:slug>/", views.category_detail, name="category"),
]

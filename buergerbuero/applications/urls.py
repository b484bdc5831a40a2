from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("antrag/<slug:slug>/", views.start, name="start"),
    path("antrag/entwurf/<uuid:public_id>/schritt/<slug:step>/", views.step, name="step"),
    path("antrag/entwurf/<uuid:public_id>/pruefen/", views.summary, name="summary"),
    path("antrag/entwurf/<uuid:public_id>/zahlung/", views.payment_return, name="payment_return"),
    path("antrag/entwurf/<uuid:public_id>/eingereicht/", views.submitted, name="submitted"),
    path("antrag/entwurf/<uuid:public_id>/spaeter/", views.save_for_later, name="save_for_later"),
    path("antrag/entwurf/<uuid:public_id>/verwerfen/", views.discard, name="discard"),
    path("antrag/fortsetzen/<uuid:public_id>/<str:secret>/", views.resume, name="resume"),
    path("mein-buergerbuero/", views.my_office, name="my_office"),
    path("mein-buergerbuero/antraege/<str:reference>/", views.my_case, name="my_case"),
    path("mein-buergerbuero/dokumente/<int:pk>/", views.my_document, name="my_document"),
    path("bescheid-pruefen/", views.verify, name="verify_form"),
    path("bescheid-pruefen/<str:code>/", views.verify, name="verify"),
]

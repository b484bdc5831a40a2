from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from buergerbuero.api import api
from buergerbuero.core import views as core_views

admin.site.site_header = "Virtuelles Bürgerbüro – Verwaltung"
admin.site.site_title = "Bürgerbüro-Verwaltung"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", core_views.health, name="health"),
    # JSON for the ALTCHA widget; no language prefix (nothing in it is translated).
    path(
        "proof-of-work/challenge",
        core_views.proof_of_work_challenge,
        name="proof_of_work_challenge",
    ),
    # SAML endpoints carry no language prefix: the IdP knows one fixed URL per endpoint.
    path("auth/saml/", include("buergerbuero.identity.saml.urls")),
]
urlpatterns += i18n_patterns(
    path("", include("buergerbuero.catalog.urls")),
    path("", include("buergerbuero.pages.urls")),
    path("", include("buergerbuero.organisation.urls")),
    path("", include("buergerbuero.identity.urls")),
    path("", include("buergerbuero.applications.urls")),
    path("sachbearbeitung/video/", include("buergerbuero.videooffice.staff_urls")),
    path("sachbearbeitung/termine/", include("buergerbuero.appointments.staff_urls")),
    path("sachbearbeitung/schalter/", include("buergerbuero.tickets.staff_urls")),
    path("sachbearbeitung/", include("buergerbuero.applications.backoffice_urls")),
    path("", include("buergerbuero.videooffice.urls")),
    path("", include("buergerbuero.appointments.urls")),
    path("", include("buergerbuero.tickets.urls")),
    path("", include("buergerbuero.payments.urls")),
    path("", include("buergerbuero.notifications.urls")),
    path("", include("buergerbuero.chat.urls")),
    path("komponenten/", core_views.component_gallery, name="component_gallery"),
    prefix_default_language=False,
)
if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
if getattr(settings, "BENCH_CEILING", False):
    urlpatterns += [path("_bench/ceiling", core_views.bench_ceiling)]

handler400 = "buergerbuero.core.views.bad_request"
handler404 = "buergerbuero.core.views.not_found"
handler500 = "buergerbuero.core.views.server_error"

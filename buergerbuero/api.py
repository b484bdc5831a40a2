"""The platform's JSON API, version 1, with its OpenAPI schema at /api/v1/openapi.json."""

from ninja import NinjaAPI

from buergerbuero.applications.api import router as cases_router
from buergerbuero.appointments.api import router as appointments_router
from buergerbuero.catalog.api import router as catalog_router
from buergerbuero.chat.api import router as chat_router
from buergerbuero.tickets.api import router as tickets_router
from buergerbuero.videooffice.api import router as videooffice_router

api = NinjaAPI(
    title="Virtuelles Bürgerbüro API",
    version="1",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # the interactive docs load scripts from a CDN, which the CSP forbids
)
api.add_router("/", catalog_router)
api.add_router("/", videooffice_router)  # GET /video-offices: open data, no login
api.add_router("/", tickets_router)  # GET /waiting-times: open data, no login
api.add_router("/", chat_router)  # POST /chat: the chatbot, no login
api.add_router("/appointments", appointments_router)
api.add_router("/cases", cases_router)  # the back office: caseworkers' sessions only

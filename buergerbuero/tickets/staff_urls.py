"""Staff pages of the walk-in queue: the counter screen (/sachbearbeitung/schalter/…)."""

app_name = "ticketstaff"
urlpatterns = []

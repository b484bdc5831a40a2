"""Staff pages of the appointments (/sachbearbeitung/termine/…)."""

app_name = "appointmentstaff"
urlpatterns = []

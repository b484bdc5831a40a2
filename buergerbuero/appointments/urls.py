"""Citizens' pages: booking an appointment (/termine/…)."""

app_name = "appointments"
urlpatterns = []

"""Public pages of the walk-in queue: kiosk, ticket status, call display, waiting times."""

app_name = "tickets"
urlpatterns = []

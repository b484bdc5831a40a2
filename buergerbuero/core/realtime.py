"""WebSocket routes. Each real-time capability (waiting room, call display) adds its room here."""

websocket_urlpatterns: list = []

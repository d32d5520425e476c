"""WebSocket routes: the same paths the aqueduct benchmark servers serve."""

from django.urls import path

from baseline import consumers

websocket_urlpatterns = [
    path("ws/echo/", consumers.EchoConsumer.as_asgi()),
    # `<str:…>` rather than the tutorial's `\w+` regex: the same rule as
    # aqueduct's `<room_name>` (one segment, anything but `/`).
    path("ws/chat/<str:room_name>/", consumers.ChatConsumer.as_asgi()),
]

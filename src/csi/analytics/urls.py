from django.urls import path

from csi.analytics import ticket_views, views

app_name = "analytics"
urlpatterns = [
    path("analytics/board/", views.board, name="board"),
    path("analytics/services/<slug:key>/", views.service, name="service"),
    path("analytics/sources/<str:key>/tickets/", ticket_views.tickets, name="tickets"),
]

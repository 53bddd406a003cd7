from django.urls import path

from csi.analytics import views

app_name = "analytics"
urlpatterns = [
    path("analytics/board/", views.board, name="board"),
    path("analytics/services/<slug:key>/", views.service, name="service"),
]

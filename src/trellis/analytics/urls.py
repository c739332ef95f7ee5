"""Web pages of the analytics app (included under the "web" namespace). The home page
itself ("web:home") is the dashboard; see trellis.web.urls."""

from django.urls import path

from trellis.analytics import views

urlpatterns = [
    path("dashboard/report/", views.report, name="analytics_report"),
    path(
        "dashboard/<slug:kind>/records/<slug:figure>/",
        views.records,
        name="analytics_records",
    ),
]

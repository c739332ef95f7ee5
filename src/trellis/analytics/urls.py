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
    path(
        "dashboard/appraisal/<int:user_id>/",
        views.appraisal_person,
        name="analytics_appraisal",
    ),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_create, name="report_create"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/delete/", views.report_delete, name="report_delete"),
    path("reports/<int:pk>/run/", views.report_run, name="report_run"),
    path(
        "reports/<int:pk>/runs/<int:run_id>/",
        views.report_run_detail,
        name="analytics_report_run",
    ),
    path(
        "reports/<int:pk>/export.<str:fmt>",
        views.report_export,
        name="report_export",
    ),
    *views.REPORT_PAGES.urls("reports"),
]

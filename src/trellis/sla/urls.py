"""Web pages of the sla app (included under the "web" namespace)."""

from django.urls import path

from trellis.sla import views

urlpatterns = [
    path("service-levels/", views.sla_policy_list, name="sla_policy_list"),
    path("service-levels/sla/new/", views.sla_policy_create, name="sla_policy_create"),
    path("service-levels/sla/<int:pk>/", views.sla_policy_edit, name="sla_policy_edit"),
    path("service-levels/sla/<int:pk>/delete/", views.sla_policy_delete, name="sla_policy_delete"),
    path(
        "service-levels/speed-to-lead/new/",
        views.speed_to_lead_create,
        name="speed_to_lead_create",
    ),
    path(
        "service-levels/speed-to-lead/<int:pk>/",
        views.speed_to_lead_edit,
        name="speed_to_lead_edit",
    ),
    path(
        "service-levels/speed-to-lead/<int:pk>/delete/",
        views.speed_to_lead_delete,
        name="speed_to_lead_delete",
    ),
    path(
        "service-levels/calendars/new/",
        views.business_calendar_create,
        name="business_calendar_create",
    ),
    path(
        "service-levels/calendars/<int:pk>/",
        views.business_calendar_edit,
        name="business_calendar_edit",
    ),
    path(
        "service-levels/calendars/<int:pk>/delete/",
        views.business_calendar_delete,
        name="business_calendar_delete",
    ),
]

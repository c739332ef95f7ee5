"""Web pages of the activities app (included under the "web" namespace)."""

from django.urls import path

from trellis.activities import views

urlpatterns = [
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("activities/<int:pk>/reschedule/", views.activity_reschedule, name="activity_reschedule"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/schedule/", views.activity_schedule, name="calendar_schedule"),
    path("timeline/<slug:entity>/<int:pk>/", views.timeline, name="timeline"),
    path("notes/<int:pk>/delete/", views.note_delete, name="note_delete"),
]

"""Web pages of the service app (included under the "web" namespace)."""

from django.urls import path

from trellis.service import views

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/queue/", views.case_queue, name="case_queue"),
    path(
        "cases/queue/<int:pk>/take-next/",
        views.case_queue_take_next,
        name="case_queue_take_next",
    ),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    *views.CASE_PAGES.urls("cases"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/status/", views.case_set_status, name="case_set_status"),
    path("cases/<int:pk>/resolve/", views.case_resolve, name="case_resolve"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
]

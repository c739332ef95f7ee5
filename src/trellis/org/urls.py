"""Web pages of the Admin area (included under the "web" namespace)."""

from django.urls import path

from trellis.org import views

urlpatterns = [
    path("admin/", views.admin_home, name="admin_home"),
    path("admin/units/", views.admin_units, name="admin_units"),
    path("admin/units/<int:pk>/", views.unit_edit, name="admin_unit_edit"),
    path("admin/users/", views.user_list, name="admin_users"),
    path("admin/users/new/", views.user_create, name="admin_user_create"),
    path("admin/users/<int:pk>/", views.user_edit, name="admin_user_edit"),
    path("admin/teams/", views.team_list, name="admin_teams"),
    path("admin/teams/new/", views.team_create, name="admin_team_create"),
    path("admin/teams/<int:pk>/", views.team_edit, name="admin_team_edit"),
    path(
        "admin/teams/<int:pk>/members/<int:user_pk>/remove/",
        views.team_member_remove,
        name="admin_team_member_remove",
    ),
    path("admin/roles/", views.role_list, name="admin_roles"),
    path("admin/roles/new/", views.role_create, name="admin_role_create"),
    path("admin/roles/<int:pk>/", views.role_edit, name="admin_role_edit"),
    path("admin/roles/<int:pk>/preview/", views.role_preview, name="admin_role_preview"),
    path("admin/templates/", views.template_list, name="admin_templates"),
    path("admin/templates/new/", views.template_create, name="admin_template_create"),
    path("admin/templates/<int:pk>/", views.template_edit, name="admin_template_edit"),
    path(
        "admin/templates/<int:pk>/delete/",
        views.template_delete,
        name="admin_template_delete",
    ),
]

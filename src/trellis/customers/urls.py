"""Web pages of the customers app (included under the "web" namespace)."""

from django.urls import path

from trellis.customers import views

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/access/", views.account_access, name="account_access"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/assign/", views.account_assign, name="account_assign"),
    path("accounts/<int:pk>/share/", views.account_share, name="account_share"),
    path("accounts/<int:pk>/unshare/", views.account_unshare, name="account_unshare"),
]

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
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/access/", views.contact_access, name="contact_access"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/assign/", views.contact_assign, name="contact_assign"),
    path("contacts/<int:pk>/share/", views.contact_share, name="contact_share"),
    path("contacts/<int:pk>/unshare/", views.contact_unshare, name="contact_unshare"),
]

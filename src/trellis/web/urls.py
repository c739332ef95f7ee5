from django.urls import path

from trellis.customers import views as customers
from trellis.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("admin/units/", views.admin_units, name="admin_units"),
    path("accounts/", customers.account_list, name="account_list"),
    path("accounts/new/", customers.account_create, name="account_create"),
    path("accounts/<int:pk>/", customers.account_detail, name="account_detail"),
    path("accounts/<int:pk>/access/", customers.account_access, name="account_access"),
    path("accounts/<int:pk>/edit/", customers.account_edit, name="account_edit"),
    path("accounts/<int:pk>/assign/", customers.account_assign, name="account_assign"),
    path("accounts/<int:pk>/share/", customers.account_share, name="account_share"),
    path("accounts/<int:pk>/unshare/", customers.account_unshare, name="account_unshare"),
]

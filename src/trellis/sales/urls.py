"""Web pages of the sales app (included under the "web" namespace)."""

from django.urls import path

from trellis.sales import views

urlpatterns = [
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/access/", views.opportunity_access, name="opportunity_access"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/close/", views.opportunity_close, name="opportunity_close"),
    path("opportunities/<int:pk>/assign/", views.opportunity_assign, name="opportunity_assign"),
    path("opportunities/<int:pk>/share/", views.opportunity_share, name="opportunity_share"),
    path("opportunities/<int:pk>/unshare/", views.opportunity_unshare, name="opportunity_unshare"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/access/", views.campaign_access, name="campaign_access"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/assign/", views.campaign_assign, name="campaign_assign"),
    path("campaigns/<int:pk>/share/", views.campaign_share, name="campaign_share"),
    path("campaigns/<int:pk>/unshare/", views.campaign_unshare, name="campaign_unshare"),
    path("products/", views.product_list, name="product_list"),
]

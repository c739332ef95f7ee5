"""Web pages of the sales app (included under the "web" namespace)."""

from django.urls import path

from trellis.sales import views

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/access/", views.lead_access, name="lead_access"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify, name="lead_disqualify"),
    path("leads/<int:pk>/contacted/", views.lead_contacted, name="lead_contacted"),
    path("leads/<int:pk>/reopen/", views.lead_reopen, name="lead_reopen"),
    path("leads/<int:pk>/assign/", views.lead_assign, name="lead_assign"),
    path("leads/<int:pk>/share/", views.lead_share, name="lead_share"),
    path("leads/<int:pk>/unshare/", views.lead_unshare, name="lead_unshare"),
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

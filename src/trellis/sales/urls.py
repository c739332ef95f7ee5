"""Web pages of the sales app (included under the "web" namespace)."""

from django.urls import path

from trellis.sales import pipeline_views, views

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    *views.LEAD_PAGES.urls("leads"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify, name="lead_disqualify"),
    path("leads/<int:pk>/contacted/", views.lead_contacted, name="lead_contacted"),
    path("leads/<int:pk>/reopen/", views.lead_reopen, name="lead_reopen"),
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    *pipeline_views.urlpatterns,
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    *views.OPPORTUNITY_PAGES.urls("opportunities"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/close/", views.opportunity_close, name="opportunity_close"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    *views.CAMPAIGN_PAGES.urls("campaigns"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("products/", views.product_list, name="product_list"),
    path("targets/", views.target_list, name="target_list"),
    path("targets/new/", views.target_create, name="target_create"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
]

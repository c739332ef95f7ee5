"""Web pages of the search app (included under the "web" namespace)."""

from django.urls import path

from trellis.search import views

urlpatterns = [
    path("search/", views.search_page, name="search"),
]

from django.urls import include, path

from trellis.api.router import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("trellis.web.urls")),
]

"""Web pages of the dataio app (included under the "web" namespace)."""

from django.urls import path

from trellis.dataio import views

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/jobs/<int:job_id>/", views.import_job, name="import_job"),
    path("export/<slug:entity>.<slug:fmt>", views.export_list, name="export_list"),
]

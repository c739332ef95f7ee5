from django.apps import AppConfig


class DataioConfig(AppConfig):
    name = "trellis.dataio"
    label = "dataio"
    verbose_name = "Import and export"

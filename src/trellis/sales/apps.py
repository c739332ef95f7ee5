from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "trellis.sales"
    label = "sales"

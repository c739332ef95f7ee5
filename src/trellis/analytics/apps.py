from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "trellis.analytics"
    label = "analytics"

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "trellis.web"
    label = "web"

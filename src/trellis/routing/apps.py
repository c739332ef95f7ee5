from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "trellis.routing"
    label = "routing"

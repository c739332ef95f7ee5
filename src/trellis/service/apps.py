from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "trellis.service"
    label = "service"

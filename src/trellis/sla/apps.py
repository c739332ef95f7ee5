from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "trellis.sla"
    label = "sla"

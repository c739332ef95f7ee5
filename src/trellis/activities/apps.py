from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "trellis.activities"
    label = "activities"

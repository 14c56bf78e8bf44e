"""Django app configuration of the returns hub."""

from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "lacompare.hub.returns"
    label = "returns"
    verbose_name = "Returns hub"
    default_auto_field = "django.db.models.BigAutoField"

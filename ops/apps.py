from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: backup and restore commands, and the wiring of the security log.

    The security log itself and the health checks live in config/ (security.py, health.py);
    this app connects the log's signal receivers once every app is loaded.
    """

    name = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from config import security

        security.connect_axes_signals()

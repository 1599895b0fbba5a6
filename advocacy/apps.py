from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdvocacyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "advocacy"
    verbose_name = _("Advocacy")

    def ready(self) -> None:
        # Without Redis, the serving process sweeps reminders itself (advocacy/inprocess.py).
        from . import inprocess

        inprocess.start_if_serving()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModelsShowcaseConfig(AppConfig):
    name = "models_showcase"
    verbose_name = _("Model cards")

    def ready(self):
        from models_showcase import signals
        from models_showcase.papers import signals as paper_signals

        signals.connect()
        paper_signals.connect()

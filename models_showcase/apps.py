from django.apps import AppConfig


class ModelsShowcaseConfig(AppConfig):
    name = "models_showcase"
    verbose_name = "Model cards"

    def ready(self):
        from models_showcase import signals

        signals.connect()

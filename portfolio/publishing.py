"""Publishing rules shared by every public model: one definition of "visible"."""

from django.db import models


class PublishableQuerySet(models.QuerySet):
    def published(self):
        """What visitors may see. Every public view starts here."""
        return self.filter(is_published=True)

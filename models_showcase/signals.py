"""Keep each card's stored HTML (models_showcase/rendering.py) in step with its badges.

Signals, because badges change through paths no save() of ours sees: the admin
saves a card's many-to-many field after the card itself, and a badge deleted in
bulk removes its links without touching the cards.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from models_showcase.models import Badge, HubCard
from models_showcase.rendering import refresh_card_html


def _badges_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        refresh_card_html([instance.pk])
    elif pk_set:
        refresh_card_html(pk_set)  # badge.cards.add(...): the cards are in pk_set


def _badge_saved(sender, instance, **kwargs):
    refresh_card_html(instance.cards.values_list("pk", flat=True))


def _badge_about_to_go(sender, instance, **kwargs):
    instance._card_ids = list(instance.cards.values_list("pk", flat=True))


def _badge_gone(sender, instance, **kwargs):
    refresh_card_html(getattr(instance, "_card_ids", []))


def connect() -> None:
    m2m_changed.connect(_badges_changed, sender=HubCard.badges.through, dispatch_uid="card-html-badges")
    post_save.connect(_badge_saved, sender=Badge, dispatch_uid="card-html-badge-saved")
    pre_delete.connect(_badge_about_to_go, sender=Badge, dispatch_uid="card-html-badge-deleting")
    post_delete.connect(_badge_gone, sender=Badge, dispatch_uid="card-html-badge-deleted")

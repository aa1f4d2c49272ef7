"""The one list of activity categories (カテゴリ): a program's category (`portal.Program.category`) and a
helper's interests (`accounts.HelperProfile.interests`) are chosen from it, so that matching compares
them directly, value for value.

It lives in accounts, the bottom of the app dependency graph, so that both apps import it. The values
are the ones both apps stored before they shared this list, so no stored row changed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    FARMING = "farming", _("援農・農作業")
    CRAFT = "craft", _("伝統工芸・ものづくり")
    FESTIVAL = "festival", _("祭り・伝統行事")
    NATURE = "nature", _("森・里山・環境保全")
    COMMUNITY = "community", _("地域行事・交流")
    CARE = "care", _("暮らし・見守り・福祉")
    SNOW = "snow", _("雪かき・冬の暮らし")
    REMOTE = "remote", _("オンライン・遠隔")

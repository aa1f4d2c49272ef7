from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("地域通貨ポイント")
    default_auto_field = "django.db.models.BigAutoField"

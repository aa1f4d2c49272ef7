from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("月次参加レポート")
    default_auto_field = "django.db.models.BigAutoField"

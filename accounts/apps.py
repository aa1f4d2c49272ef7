from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("利用者と地域")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The admin's autodiscover (django.contrib.admin, listed first) has loaded every admin module.
        from accounts.admin import restrict_unscoped_admins

        restrict_unscoped_admins()

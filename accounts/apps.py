from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The admin's autodiscover (django.contrib.admin, listed first) has loaded every admin module.
        from accounts.admin import restrict_unscoped_admins

        restrict_unscoped_admins()

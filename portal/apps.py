from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _forget_site_name(sender, instance, **kwargs):
    from portal.selectors.programs import forget_site_name

    forget_site_name(instance.pk)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("マーケットプレイス")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.branding import register_path_resolver
        from accounts.models import Municipality
        from portal.selectors.branding import municipality_of_path

        # The brand of a helper's account emails: the municipality whose page the signup came from.
        register_path_resolver(municipality_of_path)

        post_save.connect(_forget_site_name, sender=Municipality, dispatch_uid="portal_site_name")
        post_delete.connect(_forget_site_name, sender=Municipality, dispatch_uid="portal_site_name")

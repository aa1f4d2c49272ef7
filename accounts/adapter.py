from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.mail import ReadableEmailMessage
from accounts.models import User
from accounts.permissions import is_staff_member, organization_ids


class AccountAdapter(DefaultAccountAdapter):
    """Emails are stored lower-cased so that one person cannot sign up twice by changing case; a new
    account receives its emails in the language it signed up in."""

    def clean_email(self, email: str) -> str:
        return super().clean_email(email).lower()

    def get_login_redirect_url(self, request) -> str:
        """Where each role lands after signing in (a `next` address, when there is one, wins before
        this is asked): staff on their dashboard, a nushi on their programs, a helper on my page."""
        if is_staff_member(request.user):
            return reverse("staff_dashboard")
        if organization_ids(request.user):
            return reverse("nushi_dashboard")
        return super().get_login_redirect_url(request)

    def save_user(self, request, user, form, commit=True):
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's emails go as readable text, as every email the portal sends (accounts.mail)."""
        return ReadableEmailMessage.of(
            super().render_mail(template_prefix, email, context, headers=headers)
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """A mail to an address that has an account (a password reset, "this address is already
        registered") is written in that account's language, not in the language of whoever filled in
        the form, who may be someone else."""
        language = (
            User.objects.filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email))
            .values_list("language", flat=True)
            .first()
        )
        if language not in dict(settings.LANGUAGES):
            return super().send_mail(template_prefix, email, context)
        with translation.override(language):
            return super().send_mail(template_prefix, email, context)

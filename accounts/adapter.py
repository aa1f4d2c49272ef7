from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.branding import MailBrand, branded_from_email, mail_brand
from accounts.mail import ReadableEmailMessage
from accounts.models import User
from accounts.permissions import is_staff_member, organization_ids
from accounts.services import signup_origin_record


class AccountAdapter(DefaultAccountAdapter):
    """Emails are stored lower-cased so that one person cannot sign up twice by changing case; a new
    account receives its emails in the language it signed up in, branded by its municipality
    (accounts.branding: the subject prefix, the sender's name and the signature)."""

    # The brand of the mail being sent (set by send_mail for render_mail's hooks, which take no
    # context); None outside send_mail: the portal's own.
    _brand: MailBrand | None = None

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
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # The municipality whose page the signup came from (the `next` address), for the brand.
            signup_origin_record(user=user, path=get_next_redirect_url(request))
        return user

    def format_email_subject(self, subject: str) -> str:
        if self._brand is None or self._brand.municipality is None:
            return super().format_email_subject(subject)
        return f"[{self._brand.name}] {subject}"

    def get_from_email(self) -> str:
        if self._brand is None or self._brand.municipality is None:
            return super().get_from_email()
        return branded_from_email(self._brand)

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's emails go as readable text, as every email the portal sends (accounts.mail)."""
        return ReadableEmailMessage.of(
            super().render_mail(template_prefix, email, context, headers=headers)
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """A mail to an address that has an account (a password reset, "this address is already
        registered") is written in that account's language, not in the language of whoever filled in
        the form, who may be someone else, and carries that account's brand."""
        owner = context.get("user")
        if not isinstance(owner, User):
            owner = User.objects.filter(
                Q(email__iexact=email) | Q(emailaddress__email__iexact=email)
            ).first()
        language = owner.language if owner is not None else None
        if language not in dict(settings.LANGUAGES):
            language = translation.get_language()
        with translation.override(language):
            self._brand = mail_brand(owner)
            try:
                return super().send_mail(template_prefix, email, {**context, "brand": self._brand})
            finally:
                self._brand = None

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    """Emails are stored lower-cased so that one person cannot sign up twice by changing case; a new
    account receives its emails in the language it signed up in."""

    def clean_email(self, email: str) -> str:
        return super().clean_email(email).lower()

    def save_user(self, request, user, form, commit=True):
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Emails are stored lower-cased so that one person cannot sign up twice by changing case."""

    def clean_email(self, email: str) -> str:
        return super().clean_email(email).lower()

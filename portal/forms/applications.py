"""Forms of applications: applying, a host's decision, a helper's impression."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.common import form_field
from portal.models import Application


class ApplyForm(forms.Form):
    message = forms.CharField(
        label=_("備考（任意）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("主催者に伝えたいこと（到着が遅れる、など）"),
    )


class DecisionForm(forms.Form):
    """A host's decision on one application from the roster; the reason, when given, is told to the
    helper (required of staff who cancel: the service says so)."""

    decision = forms.ChoiceField(
        choices=[("accept", _("参加確定")), ("decline", _("お見送り")), ("cancel", _("取り消し"))]
    )
    reason = forms.CharField(label=_("理由（参加者に届きます）"), max_length=500, required=False)


class ImpressionForm(forms.Form):
    body = forms.CharField(
        label=_("感想"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    may_publish = forms.BooleanField(
        label=_("活動レポートに載せてもよい"), required=False, initial=True
    )


class BulkDecisionForm(forms.Form):
    """A bulk decision chosen on the roster (sent by GET, so that the confirmation page's POST keeps it
    in its address): the applications ticked, and what to do with them. 「選んだ人を採用」 accepts the
    ticked; 「残りをお断り」 also declines every other undecided application of the session."""

    ACCEPT, DECLINE_REST = "accept", "decline_rest"

    accept = forms.TypedMultipleChoiceField(coerce=int, required=False)
    action = forms.ChoiceField(
        choices=[(ACCEPT, _("選んだ人を採用")), (DECLINE_REST, _("残りをお断り"))]
    )

    def __init__(self, *args: Any, undecided: Sequence[Application], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.undecided = list(undecided)
        field = form_field(self, "accept", forms.TypedMultipleChoiceField)
        field.choices = [(a.pk, str(a.pk)) for a in self.undecided]
        field.error_messages["invalid_choice"] = _(
            "選んだ方の中に、もう選考中ではない方がいます。名簿から選び直してください。"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == self.ACCEPT and not cleaned.get("accept"):
            raise forms.ValidationError(_("採用する方を選んでください。"))
        if cleaned.get("action") == self.DECLINE_REST and len(cleaned.get("accept") or ()) == len(
            self.undecided
        ):
            raise forms.ValidationError(_("お断りする方がいません。全員を選んでいます。"))
        return cleaned

    def split(self) -> tuple[list[Application], list[Application]]:
        """(to accept, to decline), in roster order."""
        chosen = set(self.cleaned_data["accept"])
        accept = [a for a in self.undecided if a.pk in chosen]
        if self.cleaned_data["action"] != self.DECLINE_REST:
            return accept, []
        return accept, [a for a in self.undecided if a.pk not in chosen]

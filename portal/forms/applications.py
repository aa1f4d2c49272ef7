"""Forms of applications: applying, a host's decision, a helper's impression."""

from django import forms
from django.utils.translation import gettext_lazy as _


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

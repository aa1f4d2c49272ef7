"""The public service's pages: the contact form, and staff's editing of a page's text."""

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Consent, Municipality, PageText
from portal.forms.common import FormTokenField


class ContactTopic(models.TextChoices):
    HELPING = "helping", _("お手伝いへの参加について")
    ASKING = "asking", _("困りごとの相談（手伝ってほしい）")
    ACCOUNT = "account", _("アカウント・ログインについて")
    PRIVACY = "privacy", _("個人情報の開示・訂正・利用停止")
    PARTNERSHIP = "partnership", _("取材・連携のご相談")
    OTHER = "other", _("その他")


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("お名前"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("メールアドレス"),
        help_text=_("お返事はこのアドレスにお送りします。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    municipality = forms.ModelChoiceField(
        label=_("お問い合わせ先の自治体"),
        queryset=Municipality.objects.order_by("prefecture", "name"),
        empty_label=_("選んでください"),
    )
    topic = forms.ChoiceField(
        label=_("お問い合わせの種類"),
        choices=[("", _("選んでください")), *ContactTopic.choices],
    )
    message = forms.CharField(
        label=_("内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("2000文字まで。電話番号など、お返事に必要なことがあれば書いてください。"),
    )
    form_token = FormTokenField()

    def __init__(self, *args: Any, municipality: Municipality | None = None, **kwargs: Any):
        """With `municipality` fixed (its own contact page, or the only one of the deployment) the
        form does not ask which."""
        super().__init__(*args, **kwargs)
        self.fixed_municipality = municipality
        if municipality is not None:
            del self.fields["municipality"]

    def chosen_municipality(self) -> Municipality:
        return self.fixed_municipality or self.cleaned_data["municipality"]


class PageTextForm(forms.ModelForm):
    material_change = forms.BooleanField(
        label=_("重要な変更として保存する（利用者全員に、もう一度同意をお願いします）"),
        required=False,
        help_text=_(
            "利用目的を増やすなど、利用者の権利や義務が変わるときに選んでください。誤字の修正などでは選ばないでください。"
        ),
    )

    class Meta:
        model = PageText
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24})}
        help_texts = {
            "body": _(
                "文字だけで書きます（HTMLは使えません）。空行で段落を分け、「■」で始まる1行は見出しになります。"
            )
        }

    def __init__(self, *args: Any, kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if kind not in Consent.Document.values:
            del self.fields["material_change"]

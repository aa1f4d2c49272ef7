import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from points.models import Transaction


class RedeemForm(forms.Form):
    """Staff record an exchange at the 関係案内所: the wallet code (scanned from the helper's QR or typed
    from it) and the points. `key` is made when the form is shown, so a double submit redeems once."""

    code = forms.CharField(
        label=_("ウォレットコード"),
        max_length=20,
        help_text=_(
            "お手伝いさんのウォレットのQRコードを読み取るか、その下の10文字を入力してください。"
        ),
    )
    amount = forms.IntegerField(label=_("交換するポイント"), min_value=1, max_value=1_000_000)
    memo = forms.CharField(
        label=_("交換したもの"), max_length=100, required=False, help_text=_("例: 飛騨牛コロッケ")
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("種類"), choices=[("", _("すべて")), *Transaction.Kind.choices], required=False
    )
    start = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("検索（内容・理由・メール）"), max_length=100, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("終了日は開始日より後にしてください。"))
        return data

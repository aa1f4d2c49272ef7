import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from points.models import Issuer, Transaction


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


class IssuerForm(forms.Form):
    """Where a municipality's points go. The account mapping is typed one pair a line:
    `wallet code,operator account`."""

    kind = forms.ChoiceField(label=_("ポイントの行き先"), choices=Issuer.Kind.choices)
    operator_url = forms.URLField(
        label=_("事業者のURL"), required=False, max_length=200,
        help_text=_("例: https://points.example.jp/api（事業者のときだけ）"),
    )  # fmt: skip
    api_key = forms.CharField(
        label=_("APIキー"), required=False, max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("空欄なら今のキーのままです。"),
    )  # fmt: skip
    account_map = forms.CharField(
        label=_("口座の対応"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("1行に1組「ウォレットコード,事業者の口座」。書かないお手伝いさんはウォレットコードのまま送ります。"),
    )  # fmt: skip

    def clean_account_map(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["account_map"].splitlines(), start=1):
            if not line.strip():
                continue
            code, sep, target = (part.strip() for part in line.partition(","))
            if not sep or not code or not target:
                raise forms.ValidationError(
                    _("%(line)d 行目は「ウォレットコード,事業者の口座」の形にしてください。")
                    % {"line": number}
                )
            pairs[code.upper()] = target[:100]
        return pairs

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("kind") == Issuer.Kind.OPERATOR and not data.get("operator_url"):
            self.add_error("operator_url", _("事業者に送るときはURLが必要です。"))
        return data


class StatementForm(forms.Form):
    statement = forms.FileField(
        label=_("事業者の明細（CSV）"),
        help_text=_("1行目に「口座」と「ポイント」の列名。UTF-8 でも Shift_JIS でも読めます。"),
    )

    def clean_statement(self):
        upload = self.cleaned_data["statement"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("ファイルが大きすぎます（5MBまで）。"))
        return upload


class CodeRedeemForm(forms.Form):
    code = forms.CharField(
        label=_("ポイントコード"),
        max_length=30,
        help_text=_("チケットのQRコードを読み取るか、12文字のコードを入力してください。"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )

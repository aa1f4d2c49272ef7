"""What the marketplace's forms share: widgets, image fields, a reason, and showing a service's error on a form."""

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import postal
from accounts.images import process_upload

BIG = {"class": "text-xl"}  # the need form is for elderly residents too: large text in the inputs


DATETIME = {"type": "datetime-local"}


DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def clean_image(value: Any) -> Any:
    """A new upload is checked, resized and stripped of EXIF; a stored file passes through."""
    if value and hasattr(value, "content_type"):
        return process_upload(value)
    return value


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: each error on the field it names when the form
    has that field, otherwise at the top of the form. (Django's add_error refuses, with an exception,
    an error on a model field the form does not show, which turned such a rule into a server error.)"""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def chosen_object(form: forms.BaseForm, name: str) -> Any:
    """What a bound form's choice field names, read before the form is validated (another form's
    choices depend on it), or None when the value names nothing: the field's own cleaning turns
    whatever was posted (a word, a huge number, several values) into an object or a refusal."""
    if not form.is_bound:
        return None
    try:
        return form.fields[name].clean(form[name].data)
    except ValidationError:
        return None


def form_field[F: forms.Field](form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """The form's field `name`, which must be a `kind`: form.fields holds plain Fields to a type
    checker, and a form that sets a queryset or a bound on its field says here which field it means."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(
            f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}"
        )
    return field


class CommaListField(forms.CharField):
    """Tags typed as 「農業、体験、週末」 or "a, b": a list of short strings."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "、".join(value)
        return value

    # A CharField's text, cleaned into a list: the stubs expect a CharField to give a string.
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        value = super().to_python(value) or ""
        parts = [p.strip() for p in value.replace("、", ",").replace("，", ",").split(",")]
        tags = list(dict.fromkeys(p for p in parts if p))
        if any(len(t) > 20 for t in tags) or len(tags) > 10:
            raise ValidationError(_("タグは20文字以内で10個までにしてください。"))
        return tags


class FormTokenField(forms.UUIDField):
    """The one-time token of a form that creates something (portal.services.form_tokens): a fresh
    one each time the form is shown, kept when it comes back with errors."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, initial=uuid.uuid4, **kwargs)


class FormTokenForm(forms.Form):
    """A button that creates something and asks nothing (a draft from the session): its token only."""

    form_token = FormTokenField()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ConfirmForm(forms.Form):
    """The confirmation of an action that tells people or cannot be undone, on the page that says who
    will be told what: the action runs only with it."""

    confirm = forms.BooleanField(
        label=_("上の内容を確認しました"),
        error_messages={"required": _("内容を確かめたら、チェックを入れてください。")},
    )


class ReasonConfirmForm(ConfirmForm):
    """The confirmation of an action whose reason is told to people: the reason is required."""

    reason = forms.CharField(
        label=_("理由（お知らせに載ります）"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("理由を入力してください。お知らせに載ります。")},
    )
    field_order = ["reason", "confirm"]


class PhotoInput(forms.ClearableFileInput):
    """A photo field that shows the photo it holds (not its file name), with a box to take it off."""

    template_name = "forms/widgets/photo_input.html"  # the box to take it off: 「この写真を外す」

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"accept": "image/*", **(attrs or {})})


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    """Several photos in one input; each is checked as an image, at most `max_files` of them."""

    def __init__(self, *args: Any, max_files: int | None = None, **kwargs: Any) -> None:
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = (
            [single(d, initial) for d in data]
            if isinstance(data, list | tuple)
            else ([single(data, initial)] if data else [])
        )
        if self.max_files is not None and len(files) > self.max_files:
            raise ValidationError(
                _("写真は%(count)d枚までです。") % {"count": self.max_files}, code="max_files"
            )
        return files


def postal_lookup_attrs(field: forms.Field, address_field: str) -> None:
    """With htmx, the address appears as soon as the code is typed (portal.views.needs.postal_lookup)."""
    field.widget.attrs.update(
        {
            "hx-get": reverse_lazy("postal_lookup"),
            "hx-trigger": "change",
            "hx-target": f"#postal-result-{address_field}",
            "hx-swap": "outerHTML",
            "hx-include": f"#id_{address_field}",
            "hx-vals": f'{{"field": "{address_field}"}}',
            "aria-describedby": f"postal-result-{address_field}",
        }
    )
    field.help_text = format_html(
        '{} <span id="postal-result-{}" aria-live="polite"></span>', field.help_text, address_field
    )


def address_from_postal(code: str) -> str:
    return postal.lookup(code).address

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.text import multi_line, single_line


class CleanTextBoundField(BoundField):
    """What a form reads from a text input, cleaned before any validation: one line for a single-line
    field (line breaks and tabs become a space, control characters go); in a textarea, line breaks
    as LF (counted once, as the browser counts them) and control characters dropped. Passwords are
    taken as typed. A textarea's maximum is told in its help text. Every form that renders with
    FormRenderer (ours, allauth's, the admin's) gets this, so no field can be forgotten."""

    def __init__(self, form, field, name):
        super().__init__(form, field, name)
        if isinstance(field.widget, forms.Textarea) and getattr(field, "max_length", None):
            limit = format_lazy(_("{}文字まで"), f"{field.max_length:,}")
            self.help_text = (
                format_lazy("{}（{}）", self.help_text, limit) if self.help_text else limit
            )

    @property
    def data(self):
        value = super().data
        field, widget = self.field, self.field.widget
        if (
            not isinstance(value, str)
            or not isinstance(field, forms.CharField)
            or isinstance(widget, forms.PasswordInput)
        ):
            return value
        if isinstance(widget, forms.Textarea):
            return multi_line(value)
        return single_line(value)


class FormRenderer(TemplatesSetting):
    """Every form, ours and allauth's, renders with visible labels, linked help text and errors
    (templates/forms/), so accessibility is decided in one place; its text inputs are read through
    CleanTextBoundField, so is their hygiene."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
    bound_field_class = CleanTextBoundField

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

from accounts.text import single_line, without_controls


class CleanTextBoundField(BoundField):
    """What a form reads from a text input, cleaned before any validation: one line for a single-line
    field (line breaks and tabs become a space, control characters go), control characters other
    than line breaks dropped from a textarea. Passwords are taken as typed. Every form that renders
    with FormRenderer (ours, allauth's, the admin's) gets this, so no field can be forgotten."""

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
            return without_controls(value)
        return single_line(value)


class FormRenderer(TemplatesSetting):
    """Every form, ours and allauth's, renders with visible labels, linked help text and errors
    (templates/forms/), so accessibility is decided in one place; its text inputs are read through
    CleanTextBoundField, so is their hygiene."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
    bound_field_class = CleanTextBoundField

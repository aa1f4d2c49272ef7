from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form, ours and allauth's, renders with visible labels, linked help text and errors
    (templates/forms/), so accessibility is decided in one place."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"

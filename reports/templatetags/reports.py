from django import template

from reports.tables import percent

register = template.Library()


@register.filter
def report_cell(value: object) -> str:
    """A table cell as printed: a rate (a float) as a percentage, a count with thousands separators."""
    if isinstance(value, float) or value is None:
        return percent(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)

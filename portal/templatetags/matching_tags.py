from django import template

from portal.selectors.matching import Recommendation, recommendations_for

register = template.Library()


@register.simple_tag(takes_context=True)
def recommendations(context, k: int = 5) -> list[Recommendation]:
    """「あなたへのおすすめ」 for the signed-in helper of the page, so that the include
    templates/matching/_recommendations.html needs nothing from the view that includes it."""
    request = context.get("request")
    if request is None:
        return []
    return recommendations_for(request.user, k=k)

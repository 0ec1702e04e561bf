from django import template

from reviewers import overview

register = template.Library()


@register.inclusion_tag("admin/review_overview.html", takes_context=True)
def review_overview(context) -> dict:
    """The review charts for the admin index, for accounts that may see claims."""
    user = context["request"].user
    if not user.has_perm("claims.view_claim"):
        return {"show": False}
    return {"show": True, **overview.charts(user)}

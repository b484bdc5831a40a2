"""``{% load videooffice_staff %}{% if user|staffs_video_office %}…{% endif %}``: whether the
header shows the caseworker's link to the video office dashboard."""

from django import template

from ..services import staffed_offices

register = template.Library()


@register.filter
def staffs_video_office(user) -> bool:
    """True when ``user`` is assigned to at least one active video office.

    One query for a staff account, remembered on the user object for the rest of the
    request; none for citizens and anonymous visitors (staffed_offices gives them an empty
    queryset, whose ``exists()`` does not touch the database)."""
    if not getattr(user, "is_staff", False):
        return False
    if not hasattr(user, "_staffs_video_office"):
        user._staffs_video_office = staffed_offices(user).exists()
    return user._staffs_video_office

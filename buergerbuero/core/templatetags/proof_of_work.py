"""The ALTCHA widget and its refusal message in a form's template (core/proof_of_work.py).

{% load proof_of_work %}
{% proof_refused proof_refused nothing_done=_("Es wurde nichts gebucht.") %}
<form method="post" novalidate> … {% proof_of_work_widget %} … </form>
"""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("core/_proof_of_work.html")
def proof_of_work_widget():
    return {"noscript_per_hour": settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR}


@register.inclusion_tag("core/_proof_refused.html")
def proof_refused(verdict, nothing_done=""):
    """The German message for a refused proof (a ``Verdict``), or nothing for ``None``."""
    return {
        "verdict": verdict.value if verdict else "",
        "nothing_done": nothing_done,
        "noscript_per_hour": settings.ALTCHA_NOSCRIPT_PER_ADDRESS_HOUR,
    }

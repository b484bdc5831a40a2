"""Filters for texts that administrators edit."""

import re

from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark with raw HTML switched off: an admin's text can never inject markup or script.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table")


_HEADING = re.compile(r"<(/?)h([1-6])>")


@register.filter
def markdown(text: str, base_heading: int = 2) -> str:
    """Render Markdown with its top heading level at ``base_heading``.

    Whatever level an editor starts with (# or ##), the outline under the page's <h1>
    stays unbroken: the highest heading in the text becomes ``base_heading``.
    """
    html = _markdown.render(text or "")
    levels = [int(level) for _, level in _HEADING.findall(html)]
    if levels:
        shift = base_heading - min(levels)
        html = _HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + shift, 6)}>", html)
    html = html.replace("<ul>", '<ul class="kern-list kern-list--bullet">').replace(
        "<ol>", '<ol class="kern-list kern-list--number">'
    )
    return mark_safe(html)  # noqa: S308 - markdown-it escapes everything, raw HTML is off


@register.filter
def duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"

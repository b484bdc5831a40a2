"""Filters for texts that administrators edit."""

from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark with raw HTML switched off: an admin's text can never inject markup or script.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table")


@register.filter
def markdown(text: str, base_heading: int = 2) -> str:
    """Render Markdown; headings start at ``base_heading`` so the page outline stays intact."""
    html = _markdown.render(text or "")
    shift = base_heading - 1
    if shift > 0:
        for level in range(6 - shift, 0, -1):
            html = html.replace(f"<h{level}>", f"<h{level + shift}>").replace(
                f"</h{level}>", f"</h{level + shift}>"
            )
    html = html.replace("<ul>", '<ul class="kern-list kern-list--bullet">').replace(
        "<ol>", '<ol class="kern-list kern-list--number">'
    )
    return mark_safe(html)  # noqa: S308 - markdown-it escapes everything, raw HTML is off


@register.filter
def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@register.filter
def duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"

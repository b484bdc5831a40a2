from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import selectors
from .forms import AccessibilityFeedbackForm
from .models import Page
from .services import accessibility_feedback_submit


def _page(slug: str) -> Page:
    page = selectors.page_get(slug=slug)
    if page is None:
        raise Http404(_("Diese Seite hat die Stadt noch nicht angelegt."))
    return page


def page_view(request, slug: str):
    return render(request, "pages/page.html", {"page": _page(slug)})


def accessibility_statement(request):
    page = _page(Page.Slug.ACCESSIBILITY)
    if request.method == "POST":
        form = AccessibilityFeedbackForm(request.POST)
        if form.is_valid():
            accessibility_feedback_submit(**form.cleaned_data, language=get_language())
            messages.success(
                request,
                _(
                    "Vielen Dank. Ihre Rückmeldung ist eingegangen; wir melden uns, "
                    "wenn Sie eine E-Mail-Adresse angegeben haben."
                ),
            )
            return redirect(request.path + "#rueckmeldung")
    else:
        form = AccessibilityFeedbackForm(initial={"page_url": request.GET.get("seite", "")[:500]})
    return render(request, "pages/accessibility.html", {"page": page, "form": form})


def sign_language(request):
    return render(
        request,
        "pages/sign_language.html",
        {
            "page": _page(Page.Slug.SIGN_LANGUAGE),
            "videos": selectors.sign_language_video_list(),
        },
    )

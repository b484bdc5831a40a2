from django.shortcuts import render

from . import selectors


def customer_centre_index(request):
    return render(
        request,
        "organisation/customer_centres.html",
        {"centres": selectors.customer_centre_list()},
    )

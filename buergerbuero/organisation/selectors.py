from django.db.models import QuerySet

from .models import CustomerCentre


def customer_centre_list() -> QuerySet[CustomerCentre]:
    return CustomerCentre.objects.prefetch_related("opening_hours").order_by("name")

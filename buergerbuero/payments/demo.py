"""Demo Kassenzeichen for Stadt Köln: warning fines and a fee from other systems."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from .references import reference_import

REFERENCES_FILE = Path(__file__).resolve().parent / "demo" / "koeln" / "references.json"


def demo_references_load() -> int:
    data = json.loads(REFERENCES_FILE.read_text(encoding="utf-8"))
    users = get_user_model().objects
    today = timezone.localdate()
    for item in data["references"]:
        owner = users.filter(username=item["owner"]).first() if item.get("owner") else None
        reference_import(
            code=item["code"],
            purpose=item["purpose"],
            amount_cents=item["amount_cents"],
            description=item["description"],
            issuer=item.get("issuer", ""),
            due_date=today + dt.timedelta(days=item.get("due_in_days", 14)),
            user=owner,
        )
    return len(data["references"])

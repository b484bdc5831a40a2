"""English is complete: every German text has a translation, and the compiled catalogue
that Django reads matches its source."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def entries(text: str):
    for block in text.split("\n\n"):
        if "msgid" not in block:
            continue
        strings = re.findall(
            r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"\n?((?:".*"\n?)*)', block, re.M
        )
        values = {key: first + "".join(re.findall(r'"(.*)"', rest)) for key, first, rest in strings}
        yield block, values


def test_every_german_text_has_an_english_translation():
    missing = []
    for block, values in entries(PO.read_text(encoding="utf-8")):
        if not values.get("msgid"):
            continue  # the header
        translations = [v for k, v in values.items() if k.startswith("msgstr")]
        if "#, fuzzy" in block or not all(translations):
            missing.append(values["msgid"])
    assert missing == []


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed")
def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run `make messages`"

"""Evaluation of the chatbot: does ``POST /api/v1/chat`` rank the right service first?

Run from the checkout::

    .venv/bin/python bench/chat_eval                       # ../shared/chat/dev-questions.jsonl
    .venv/bin/python bench/chat_eval questions.jsonl --misses
    .venv/bin/python bench/chat_eval questions.jsonl --url http://127.0.0.1:8000

Each line of the file is ``{"q": ..., "expected": [slugs], "lang": ..., "style": ...}``; an
empty ``expected`` marks a message that is not about city services (it should be answered
with ``confident: false``). Without ``--url`` the script loads the Köln demo into a
temporary SQLite database and asks the API in this process (Django's test client, all
middleware included); with ``--url`` it asks a running server over HTTP.

It prints top-1 and top-3 accuracy of the ranked ``services``, overall and per language,
the share of real questions answered ``confident: true`` and of off-topic ones answered
``confident: false``, and the latency of the API call (median, p95) over ``--runs``
passes after one warm-up pass. In the same run, for comparison, two keyword rankings over
the same catalog (in-process mode only):

- *BM25 plain*: BM25 over each service's name, teaser and description (German and
  English), words stemmed with the Snowball German stemmer; no synonyms, no compound
  splitting, no typo tolerance. The "plain keyword baseline" of issue #8.
- *catalog search*: the site's own search (``catalog/search.py``: BM25 over weighted fields
  with the editors' synonyms, compounds and typo tolerance), which the chatbot uses as one
  of its two signals.

It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # bench/: machine.py, appointments_world.py

from machine import cpu_model  # noqa: E402

DEFAULT_QUESTIONS = HERE.parents[1].parent / "shared" / "chat" / "dev-questions.jsonl"


def read_questions(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            row.setdefault("lang", "?")
            row.setdefault("style", "?")
            row["line"] = number
            rows.append(row)
    return rows


class InProcess:
    """The API through Django's test client, on a temporary copy of the demo."""

    def __init__(self) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="chat-eval-")
        os.environ["CHAT_MESSAGES_PER_ADDRESS_MINUTE"] = "0"
        from appointments_world import prepare

        prepare(f"sqlite:///{self.directory.name}/db.sqlite3")
        from django.test import Client

        self.client = Client(HTTP_HOST="127.0.0.1")

    def ask(self, message: str, lang: str) -> dict:
        response = self.client.post(
            "/api/v1/chat",
            json.dumps({"message": message, "lang": lang}),
            content_type="application/json",
        )
        return response.json() if response.status_code == 200 else {"status": response.status_code}


class OverHttp:
    def __init__(self, url: str) -> None:
        import httpx

        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=30)

    def ask(self, message: str, lang: str) -> dict:
        response = self.client.post("/api/v1/chat", json={"message": message, "lang": lang})
        return response.json() if response.status_code == 200 else {"status": response.status_code}


class PlainBm25:
    """BM25 over name, teaser and description, stemmed words only (the baseline)."""

    K1, B = 1.2, 0.75

    def __init__(self) -> None:
        from buergerbuero.catalog.models import Service
        from buergerbuero.catalog.text_analysis import content_words, stem

        self.terms = lambda text: [stem(w) for w in content_words(text)]
        self.docs: dict[str, Counter] = {}
        for service in Service.objects.all():
            text = " ".join(
                getattr(service, f"{field}_{lang}") or ""
                for field in ("name", "teaser", "description")
                for lang in ("de", "en")
            )
            self.docs[service.slug] = Counter(self.terms(text))
        self.df = Counter(term for doc in self.docs.values() for term in doc)
        self.average = statistics.mean(sum(doc.values()) for doc in self.docs.values())

    def rank(self, message: str) -> list[str]:
        n = len(self.docs)
        scores = {}
        for slug, doc in self.docs.items():
            length = sum(doc.values())
            score = 0.0
            for term in set(self.terms(message)):
                if term in doc:
                    idf = math.log(1 + (n - self.df[term] + 0.5) / (self.df[term] + 0.5))
                    tf = doc[term]
                    norm = self.K1 * (1 - self.B + self.B * length / self.average)
                    score += idf * tf * (self.K1 + 1) / (tf + norm)
            if score > 0:
                scores[slug] = score
        return sorted(scores, key=scores.get, reverse=True)


def catalog_search_rank(message: str) -> list[str]:
    from buergerbuero.catalog.selectors import service_search

    return [service.slug for service, _ in service_search(query=message, limit=10)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="?", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--url", help="ask a running server instead of this process")
    parser.add_argument("--runs", type=int, default=3, help="timed passes (default 3)")
    parser.add_argument("--lang", default="de", help="the page language sent (default de)")
    parser.add_argument("--misses", action="store_true", help="list wrong first answers")
    args = parser.parse_args()

    rows = read_questions(args.questions)
    api = OverHttp(args.url) if args.url else InProcess()
    for row in rows:  # warm-up: the first call loads the model and embeds the catalog
        api.ask(row["q"], args.lang)
    latencies, answers = [], {}
    for _ in range(max(args.runs, 1)):
        for row in rows:
            started = time.perf_counter()
            answers[row["line"]] = api.ask(row["q"], args.lang)
            latencies.append((time.perf_counter() - started) * 1000)

    baselines = {}
    if not args.url:
        bm25 = PlainBm25()
        baselines = {"BM25 plain": bm25.rank, "catalog search": catalog_search_rank}

    columns = ["chatbot", *baselines]
    hits = {c: defaultdict(lambda: [0, 0, 0]) for c in columns}  # lang -> [n, top1, top3]
    confident_real = off_topic_refused = real = off_topic = errors = 0
    misses = []
    for row in rows:
        answer = answers[row["line"]]
        if "status" in answer:
            errors += 1
        expected = set(row["expected"])
        if not expected:
            off_topic += 1
            off_topic_refused += answer.get("confident") is False
            if answer.get("confident") is not False:
                misses.append((row, "confident although off-topic", answer))
            continue
        real += 1
        confident_real += answer.get("confident") is True
        rankings = {"chatbot": [s["slug"] for s in answer.get("services", [])]}
        rankings |= {name: rank(row["q"]) for name, rank in baselines.items()}
        for column, ranked in rankings.items():
            for lang in ("all", row["lang"]):
                cell = hits[column][lang]
                cell[0] += 1
                cell[1] += bool(ranked[:1]) and ranked[0] in expected
                cell[2] += bool(set(ranked[:3]) & expected)
        first = rankings["chatbot"][:1]
        if not first or first[0] not in expected:
            misses.append((row, "first: " + (first[0] if first else "nothing"), answer))

    where = args.url or "in-process, SQLite, Django test client"
    print(f"Chatbot evaluation — {args.questions.name}: {real} questions, {off_topic} off-topic")
    print(f"{where}; {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
    print()
    header = f"{'':12}" + "".join(f"{c:>22}" for c in columns)
    print(header)
    print(f"{'':12}" + "".join(f"{'top-1':>11}{'top-3':>11}" for _ in columns))
    languages = ["all", *sorted({r["lang"] for r in rows if r["expected"]})]
    for lang in languages:
        n = hits["chatbot"][lang][0]
        line = f"{lang + f' ({n})':12}"
        for column in columns:
            _, top1, top3 = hits[column][lang]
            line += f"{100 * top1 / n:10.1f}%{100 * top3 / n:10.1f}%"
        print(line)
    print()
    if real:
        print(f"real questions answered confident:     {100 * confident_real / real:5.1f} %")
    if off_topic:
        refused = 100 * off_topic_refused / off_topic
        print(f"off-topic answered not confident:      {refused:5.1f} %")
    print(
        f"latency of POST /api/v1/chat:          median {statistics.median(latencies):.1f} ms,"
        f" p95 {percentile(latencies, 0.95):.1f} ms ({len(latencies)} calls)"
    )
    if errors:
        print(f"answers that were not 200:             {errors}")
    if args.misses and misses:
        print("\nMisses:")
        for row, why, answer in misses:
            ranked = [s["slug"] for s in answer.get("services", [])][:3]
            print(f"  [{row['lang']}/{row['style']}] {row['q'][:70]!r}")
            print(f"      expected {row['expected']}, {why}; top 3 {ranked}")


if __name__ == "__main__":
    main()

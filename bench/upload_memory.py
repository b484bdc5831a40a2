"""Benchmark: memory while a citizen uploads a large file, printed next to the goal.

Run from the checkout::

    .venv/bin/python bench/upload_memory.py [--size-mb 20] [--photo]

Goal (issue #3): while a 20 MB file is uploaded, memory stays under 2 × the chunk size
(Django's 64 KiB) above the baseline. Each scenario runs twice in a fresh process of its
own, after one unmeasured warm-up upload of 1 MB through the same path:

* tracemalloc: the peak of Python's own allocations above the baseline. Exact and
  repeatable, but blind to memory that C code (zlib, Pillow, libc buffers) takes itself.
* RSS: the process's peak resident set (``VmHWM``, reset through ``/proc/self/clear_refs``)
  minus the resident set before the upload. Everything the process holds, counted in pages,
  and including what the allocator keeps from earlier work; a coarse figure.

The scenarios, each with a 20 MB multipart body produced chunk by chunk from a generator
(the whole body never exists in memory):

* parser, within the limit: Django's MultiPartParser with SizeLimitedUploadHandler and a
  limit above the file's size; the file streams to a temporary file.
* parser, above the limit: the same with the default 10 MiB limit; the handler drops the
  file at the limit and reads the rest through.
* ASGI, FILE_UPLOAD_MAX_MEMORY_SIZE=…: the full Django ASGI path, middleware included, with
  the body arriving in 64 KiB ``http.request`` messages the way uvicorn passes them on.
  Django's ASGI handler first copies the whole body into a SpooledTemporaryFile that
  stays in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then the parser reads it from there;
  measured at Django's default 2.5 MB and at the 64 KiB the product sets.
* with ``--photo``, informational and outside the goal: check_upload of a 12- and a
  48-megapixel JPEG (random noise, so larger on disk than a real photo; the size limit is
  raised for it), i.e. decoding and re-encoding a photo, which cannot be streamed. The
  48-megapixel one is decoded by libjpeg at half scale (draft mode).

It measures; it asserts nothing, and it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from the checkout

CHUNK = 64 * 2**10  # Django's FileUploadHandler.chunk_size
BOUNDARY = "----bench-upload-boundary-7MA4YWxkTrZu0gW"
HANDLER = "buergerbuero.core.upload_handlers.SizeLimitedUploadHandler"
GOAL_FACTOR = 2

SCENARIOS = {
    "parser-within": "parser, file within the limit (streams to a temp file)",
    "parser-above": "parser, file above the 10 MiB limit (dropped at the limit)",
    "asgi-2.5MB": "ASGI, FILE_UPLOAD_MAX_MEMORY_SIZE = 2.5 MB (Django's default)",
    "asgi-64KiB": "ASGI, FILE_UPLOAD_MAX_MEMORY_SIZE = 64 KiB (our setting)",
}
PHOTOS = {"photo-12MP": (4000, 3000), "photo-48MP": (8064, 6048)}


# --- the request body, produced chunk by chunk -------------------------------------------


class GeneratedBody:
    """A multipart body of ``size`` file bytes, readable like a stream; holds one block."""

    def __init__(self, size: int):
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="remark"\r\n\r\n'
            f"Bitte bis Freitag\r\n--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="document"; filename="scan.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        # Random bytes that never contain the boundary; repeated, so nothing grows.
        self.block = random.Random(3).randbytes(CHUNK).replace(b"-", b"+")
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.length - self.position
        pieces = []
        while size > 0 and self.position < self.length:
            piece = self._piece_at(self.position, size)
            pieces.append(piece)
            self.position += len(piece)
            size -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _piece_at(self, position: int, size: int) -> bytes:
        if position < len(self.head):
            return self.head[position : position + size]
        position -= len(self.head)
        if position < self.size:
            offset = position % CHUNK
            return self.block[offset : offset + min(size, CHUNK - offset, self.size - position)]
        position -= self.size
        return self.tail[position : position + size]

    def chunks(self, size: int = CHUNK):
        while piece := self.read(size):
            yield piece


# --- the measured process -----------------------------------------------------------------


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def setup_django(scenario: str, size: int):
    os.environ.setdefault("DEBUG", "false")
    os.environ["DJANGO_SETTINGS_MODULE"] = "buergerbuero.settings.base"
    import django
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    django.setup()

    @csrf_exempt
    def receive_upload(request):
        received = request.FILES["document"]
        return HttpResponse(f"{received.size} {type(received).__name__}")

    urls = types.ModuleType("bench_upload_urls")
    urls.urlpatterns = [path("_bench/upload", receive_upload)]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__
    settings.FILE_UPLOAD_HANDLERS = [HANDLER]
    settings.UPLOAD_MAX_BYTES = 10 * 2**20 if scenario == "parser-above" else size + 2**20
    if scenario == "asgi-64KiB":
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = CHUNK
    else:
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440


def upload_through_parser(size: int) -> str:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest
    from django.http.multipartparser import MultiPartParser

    from buergerbuero.core.upload_handlers import SizeLimitedUploadHandler

    body = GeneratedBody(size)
    request = HttpRequest()
    request.user = AnonymousUser()
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(body.length),
    }
    post, files = MultiPartParser(meta, body, [SizeLimitedUploadHandler(request)]).parse()
    received = files["document"]
    outcome = f"{received.size} {type(received).__name__}"
    received.close()
    return outcome


def upload_through_asgi(size: int) -> str:
    from django.core.handlers.asgi import ASGIHandler

    body = GeneratedBody(size)
    application = ASGIHandler()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/_bench/upload",
        "raw_path": b"/_bench/upload",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", str(body.length).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    chunks = body.chunks()
    sent: list[bytes] = []

    async def receive():
        piece = next(chunks, None)
        if piece is not None:
            return {"type": "http.request", "body": piece, "more_body": True}
        if not sent:
            sent.append(b"")
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until Django is done

    async def send(message):
        if message["type"] == "http.response.body":
            sent.append(message.get("body", b""))
        elif message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"the upload view answered {message['status']}")

    asyncio.run(application(scope, receive, send))
    return b"".join(sent).decode()


def check_photo(path: str) -> str:
    from django.core.files import File

    from buergerbuero.core.uploads import check_upload

    with open(path, "rb") as handle:
        checked = check_upload(File(handle, name="foto.jpg"), max_bytes=2**27)
    return f"{checked.size} {checked.content_type}"


def run_child(scenario: str, size: int, measure: str, photo: str | None) -> dict:
    setup_django(scenario, size)
    if scenario in PHOTOS:
        work = lambda: check_photo(photo)  # noqa: E731
    elif scenario.startswith("asgi"):
        work = lambda: upload_through_asgi(size)  # noqa: E731
    else:
        work = lambda: upload_through_parser(size)  # noqa: E731
    if scenario not in PHOTOS:
        # Warm-up: imports, URL resolver, middleware, first temp file – not measured.
        (upload_through_asgi if scenario.startswith("asgi") else upload_through_parser)(2**20)
    else:
        work()
    gc.collect()
    result = {"scenario": scenario, "measure": measure}
    if measure == "tracemalloc":
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        result["outcome"] = work()
        result["seconds"] = time.perf_counter() - started
        result["peak_bytes"] = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
    else:
        baseline = rss_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        started = time.perf_counter()
        result["outcome"] = work()
        result["seconds"] = time.perf_counter() - started
        result["peak_bytes"] = (rss_kib("VmHWM") - baseline) * 1024
    return result


# --- the parent: run, print ---------------------------------------------------------------


def measure(scenario: str, size: int, photo: str | None) -> dict[str, dict]:
    figures = {}
    for kind in ("tracemalloc", "rss"):
        command = [sys.executable, __file__, "--child", scenario, "--measure", kind]
        command += ["--size-bytes", str(size)] + (["--photo-path", photo] if photo else [])
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{scenario} ({kind}) failed:\n{done.stdout}{done.stderr}")
        figures[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def kib(count: int) -> str:
    return f"{count / 1024:,.1f} KiB"


def make_photo(directory: str, size: tuple[int, int]) -> str:
    from PIL import Image

    red, green, blue = (Image.effect_noise(size, 40 + i * 10) for i in range(3))
    path = os.path.join(directory, f"foto-{size[0]}x{size[1]}.jpg")
    Image.merge("RGB", (red, green, blue)).save(path, "JPEG", quality=90)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=20.0, help="file size in MiB")
    parser.add_argument("--photo", action="store_true", help="also measure check_upload")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--size-bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--photo-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.size_bytes, args.measure, args.photo_path)))
        return

    size = int(args.size_mb * 2**20)
    goal = GOAL_FACTOR * CHUNK
    print(
        f"Python {platform.python_version()}, Django {metadata.version('django')}, "
        f"{os.cpu_count()} CPUs, temp files in {tempfile.gettempdir()}"
    )
    print(
        f"Upload memory – file {size / 2**20:.1f} MiB ({size:,} bytes), chunk size "
        f"{CHUNK // 1024} KiB, goal: peak above baseline < {GOAL_FACTOR} × chunk = "
        f"{goal // 1024} KiB"
    )
    header = (
        f"  {'scenario':<62} {'tracemalloc':>13} {'RSS Δ':>13} {'time':>7}  "
        f"{'goal (tracemalloc / RSS)'}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for scenario, label in SCENARIOS.items():
        figures = measure(scenario, size, None)
        traced, rss = figures["tracemalloc"]["peak_bytes"], figures["rss"]["peak_bytes"]
        verdict = " / ".join("met" if value < goal else "missed" for value in (traced, rss))
        print(
            f"  {label:<62} {kib(traced):>13} {kib(rss):>13} "
            f"{figures['rss']['seconds']:>6.2f}s  {verdict}"
        )
        print(f"  {'':<62} received: {figures['rss']['outcome']}")
    if not args.photo:
        return
    for scenario, (width, height) in PHOTOS.items():
        with tempfile.TemporaryDirectory() as directory:
            photo = make_photo(directory, (width, height))
            figures = measure(scenario, size, photo)
            traced, rss = figures["tracemalloc"]["peak_bytes"], figures["rss"]["peak_bytes"]
            megabytes = os.path.getsize(photo) / 2**20
            label = f"check_upload, {width} × {height} JPEG of {megabytes:.1f} MiB"
            print(
                f"  {label:<62} {kib(traced):>13} {kib(rss):>13} "
                f"{figures['rss']['seconds']:>6.2f}s  (informational)"
            )
            print(f"  {'':<62} stored: {figures['rss']['outcome']}")


if __name__ == "__main__":
    main()

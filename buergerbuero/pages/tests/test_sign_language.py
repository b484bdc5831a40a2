"""Sign-language videos the city uploads are offered for download with size and duration."""

import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from buergerbuero.pages.models import SignLanguageVideo

pytestmark = pytest.mark.django_db


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def minimal_mp4(seconds: int) -> bytes:
    """An MP4 with just enough structure (ftyp + moov/mvhd) to carry its duration."""
    mvhd = _box(
        b"mvhd",
        b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, 1000, seconds * 1000) + b"\x00" * 80,
    )
    return _box(b"ftyp", b"isom\x00\x00\x02\x00isommp41") + _box(b"moov", mvhd)


def test_an_uploaded_video_gets_its_size_and_duration(admin_client, client):
    upload = SimpleUploadedFile("willkommen.mp4", minimal_mp4(95), "video/mp4")
    response = admin_client.post(
        "/admin/pages/signlanguagevideo/add/",
        {"title_de": "Willkommen", "title_en": "Welcome", "file": upload, "position": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    video = SignLanguageVideo.objects.get()
    assert video.duration_seconds == 95
    assert video.size_bytes == len(minimal_mp4(95))
    html = client.get("/gebaerdensprache/").content.decode()
    assert "1:35" in html
    assert f'href="{video.file.url}" download' in html


def test_a_file_named_mp4_that_is_no_video_is_refused_by_its_content(admin_client):
    upload = SimpleUploadedFile("willkommen.mp4", b"MZ\x90\x00" + b"\x00" * 60, "video/mp4")
    response = admin_client.post(
        "/admin/pages/signlanguagevideo/add/",
        {"title_de": "X", "file": upload, "position": 0},
    )
    assert response.status_code == 200
    assert "kein MP4- oder WebM-Video" in response.content.decode()
    assert not SignLanguageVideo.objects.exists()


def test_without_videos_the_page_says_how_to_reach_the_city(client):
    html = client.get("/gebaerdensprache/").content.decode()
    assert "noch keine Videos" in html

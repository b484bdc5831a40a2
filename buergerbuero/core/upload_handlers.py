"""Uploaded files stream to temporary files and stop being stored once they are too large.

Installed for every request by ``FILE_UPLOAD_HANDLERS``::

    FILE_UPLOAD_HANDLERS = ["buergerbuero.core.upload_handlers.SizeLimitedUploadHandler"]

A file larger than the limit does not abort the request: the handler stops writing it,
deletes what it wrote, reads the rest of that file through without keeping it, and puts a
:class:`~buergerbuero.core.uploads.TooLargeUpload` into ``request.FILES`` in its place. The
other fields of the form arrive as usual, so the page can show the size message next to
what the citizen already typed, and ``check_upload`` tells "too large" apart from "no
file". Memory stays at one chunk (64 KiB) per request whatever the file's size.

The limit is ``UPLOAD_MAX_BYTES`` for citizens and ``UPLOAD_STAFF_MAX_BYTES`` for staff
(``is_staff``: the city's sign-language videos are larger than any citizen document). A view
that takes less passes ``max_bytes`` to ``check_upload``. The request body as a whole is
limited in front of the app (nginx ``client_max_body_size``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from .uploads import DEFAULT_MAX_BYTES, DEFAULT_STAFF_MAX_BYTES, TooLargeUpload


def upload_limit_for(request) -> int:
    """The most bytes one file of this request may have before the handler stops storing it."""
    user = getattr(request, "user", None)
    try:
        staff = bool(user is not None and user.is_staff)
    except SynchronousOnlyOperation:
        # request.POST read from async code: the user cannot be looked up there.
        staff = False
    if staff:
        return getattr(settings, "UPLOAD_STAFF_MAX_BYTES", DEFAULT_STAFF_MAX_BYTES)
    return getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Every file to a temporary file on disk, and none beyond the request's limit.

    Small files go to disk too (no in-memory handler before this one): ``check_upload``
    and pypdf then read from a file, and memory does not grow with the number of files.
    """

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        self.limit = upload_limit_for(self.request)
        self.too_large = False
        # The part's own Content-Length, when a client sends one, tells before any byte.
        if content_length is not None and content_length > self.limit:
            self._discard()

    def receive_data_chunk(self, raw_data, start):
        if not self.too_large and start + len(raw_data) > self.limit:
            self._discard()
        if not self.too_large:
            self.file.write(raw_data)
        return None  # nothing for later handlers: this one has it (or has dropped it)

    def file_complete(self, file_size):
        if self.too_large:
            return TooLargeUpload(
                name=self.file_name,
                content_type=self.content_type,
                size=file_size,
                limit=self.limit,
                charset=self.charset,
                content_type_extra=self.content_type_extra,
            )
        return super().file_complete(file_size)

    def _discard(self) -> None:
        self.too_large = True
        self.file.close()  # a NamedTemporaryFile: closing deletes it

"""How the settlement upload view receives files: each to a temporary file on disk as it arrives,
never whole in memory, and refused past the upload's size limit.

Django's own settings apply to every view; these handlers are installed by the one view that
takes files of hundreds of megabytes (``request.upload_handlers``, before the body is read).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler


class LimitedDiskUpload(TemporaryFileUploadHandler):
    """Every file to disk whatever its size; one larger than ``max_bytes`` is skipped (its
    temporary file deleted at once) and named in ``too_large``."""

    def __init__(self, request: Any = None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_large: list[str] = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.max_bytes:
            self.too_large.append(self.file_name or "a file")
            self.file.close()
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)

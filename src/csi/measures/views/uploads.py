"""Uploaded files kept between a preview and the import that follows it.

Each upload is streamed to DATA_DIR/uploads/<token>/<file name>, where the token is random and known
only to the session that uploaded it: the confirming request names the token, never a path, and a token
that is not in the session is refused. Folders are removed after the import, and any left behind by an
abandoned preview are swept after a day.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

SESSION_KEY = "measures_uploads"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_PENDING = 5  # previews a session may keep open at once; older ones are discarded
STALE_SECONDS = 24 * 3600


def uploads_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def safe_name(name: str | None) -> str:
    """The file's own name, without any folder, control characters or excessive length."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if base in {"", ".", ".."}:
        return "upload"
    if len(base) > 150:
        suffix = Path(base).suffix[:20]
        base = base[: 150 - len(suffix)] + suffix
    return base


def save_upload(upload: UploadedFile) -> tuple[str, Path]:
    """Stream the upload to its own private folder, chunk by chunk; returns (token, path)."""
    sweep_stale()
    token = secrets.token_urlsafe(24)
    folder = uploads_dir() / token
    folder.mkdir(mode=0o700)
    path = folder / safe_name(upload.name)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token, path


def discard(token: str) -> None:
    if TOKEN_PATTERN.match(token):
        shutil.rmtree(uploads_dir() / token, ignore_errors=True)


def sweep_stale(now: float | None = None) -> None:
    """Remove the folders of previews nobody confirmed within a day."""
    limit = (now or time.time()) - STALE_SECONDS
    for folder in uploads_dir().iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def remember(request: HttpRequest, token: str, data: dict[str, Any]) -> None:
    """Keep the token (with what the import needs) in the session; the oldest pending ones go."""
    pending: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    pending[token] = {**data, "at": time.time()}
    for old in sorted(pending, key=lambda t: pending[t].get("at", 0))[:-MAX_PENDING]:
        discard(old)
        pending.pop(old)
    request.session[SESSION_KEY] = pending


def recall(request: HttpRequest, token: str) -> tuple[dict[str, Any], Path] | None:
    """What was remembered for the token and the stored file, or None for a token this session does
    not hold (forged, expired, already imported) or whose file is gone."""
    pending = request.session.get(SESSION_KEY, {})
    data = pending.get(token) if isinstance(pending, dict) and TOKEN_PATTERN.match(token) else None
    if not isinstance(data, dict):
        return None
    path = uploads_dir() / token / safe_name(str(data.get("file_name", "")))
    if not path.is_file():
        return None
    return data, path


def forget(request: HttpRequest, token: str) -> None:
    pending = dict(request.session.get(SESSION_KEY, {}))
    if pending.pop(token, None) is not None:
        request.session[SESSION_KEY] = pending
    discard(token)

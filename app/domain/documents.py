"""Documents attached to an event: what a file is (from its bytes, never its name), the name
kept for display, and the reference the event's hash covers."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from app.domain.errors import InvalidInput

FIELD = "documents"
LABEL = "Documents"
PDF, PNG, JPEG, TEXT = "application/pdf", "image/png", "image/jpeg", "text/plain"
# What each allowed type is called where a person reads it, in the order the help lists them.
ALLOWED = {PDF: "PDF", PNG: "PNG image", JPEG: "JPEG image", TEXT: "plain text (UTF-8)"}
MAX_NAME = 200
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
# Plain text has no NUL and no control character but tab, line feed, form feed, carriage return
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DocumentRef:
    """One document of an event, as its hash covers it: the file's SHA-256 (its name in the
    store), the name it was given, its media type and its size in bytes."""

    sha256: str
    name: str
    media_type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        """The document as the event's JSON (and so its hash) carries it."""
        return {
            "sha256": self.sha256,
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
        }


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its reference and the bytes to store."""

    ref: DocumentRef
    content: bytes


def allowed_types() -> str:
    """The allowed types in words: 'PDF, PNG image, JPEG image or plain text (UTF-8)'."""
    names = list(ALLOWED.values())
    return f"{', '.join(names[:-1])} or {names[-1]}"


def sniff(content: bytes) -> str | None:
    """The media type the bytes themselves show (magic numbers; text is UTF-8 without NUL
    bytes or other control characters but whitespace), or None for any other content."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _BINARY.search(text) else TEXT


def clean_name(raw: str) -> str:
    """The display name of an uploaded file: its last path part (either slash), without control
    characters, '..' or leading dots; InvalidInput when nothing usable is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("", name).replace("..", "").strip().lstrip(".").strip()
    if not name:
        raise InvalidInput(
            f"{LABEL}: a file has no usable name ({raw!r}); give it a name such as law.pdf",
            field=FIELD,
        )
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = (stem if dot else name)[: MAX_NAME - len(ext) - 1].rstrip() + (
            "." + ext if ext else ""
        )
    return name


def size_in_words(size: int) -> str:
    """'512 bytes', '12.3 KB', '10 MB' (decimal units, as file managers show them)."""
    if size < 1000:
        return f"{size} byte{'s' if size != 1 else ''}"
    for unit, factor in (("KB", 10**3), ("MB", 10**6), ("GB", 10**9)):
        if size < factor * 1000 or unit == "GB":
            value = f"{size / factor:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    raise AssertionError("unreachable")


def check_document(raw_name: str, content: bytes, max_bytes: int) -> DocumentRef:
    """The reference of an uploaded file, or InvalidInput naming the file and what is allowed
    (its size against the limit, its type against the allowed ones)."""
    name = clean_name(raw_name)
    if len(content) > max_bytes:
        size, limit = size_in_words(len(content)), size_in_words(max_bytes)
        if size == limit:  # 10.04 MB against 10 MB: say how much more
            size = f"{len(content):,} bytes"
        raise InvalidInput(f"{LABEL}: {name} is {size}; the limit is {limit} per file", FIELD)
    if not content:
        raise InvalidInput(f"{LABEL}: {name} is empty", field=FIELD)
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput(
            f"{LABEL}: {name} is not a file of an allowed type (its content, not its name, "
            f"decides); allowed: {allowed_types()}",
            field=FIELD,
        )
    return DocumentRef(hashlib.sha256(content).hexdigest(), name, media_type, len(content))


def check_documents(
    files: list[tuple[str, bytes]], max_bytes: int, max_count: int
) -> list[CheckedFile]:
    """Check every file of one step; the same file given twice is attached once."""
    if len(files) > max_count:
        raise InvalidInput(
            f"{LABEL}: {len(files)} files; at most {max_count} may be attached to one step",
            field=FIELD,
        )
    checked: dict[str, CheckedFile] = {}
    for name, content in files:
        ref = check_document(name, content, max_bytes)
        checked.setdefault(ref.sha256, CheckedFile(ref, content))
    return list(checked.values())

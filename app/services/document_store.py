"""The folder of document files, each named by the SHA-256 of its bytes: written atomically,
stored once however many events attach it, never changed."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.domain.documents import SHA256

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DocumentStore:
    """Where the files lie; the limits a new document must keep."""

    root: Path
    max_bytes: int = 10_000_000
    max_per_step: int = 5

    def path_of(self, sha256: str) -> Path:
        """The file of a document (ValueError for anything but a SHA-256 in hex)."""
        if not SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, content: bytes) -> None:
        """Write the file unless it is already there: a temporary file in the same folder,
        flushed to disk, then renamed into place, so no reader sees half a file."""
        if hashlib.sha256(content).hexdigest() != sha256:
            raise ValueError("the content does not hash to its name")
        target = self.path_of(sha256)
        if self.problem(sha256) is None:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o444)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_folder(target.parent)

    def problem(self, sha256: str) -> str | None:
        """Why the stored file is not the document: missing, or its bytes hash otherwise."""
        path = self.path_of(sha256)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as stored:
                while chunk := stored.read(_CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return f"file missing ({path})"
        if digest.hexdigest() != sha256:
            return f"file altered: its bytes no longer hash to its name ({path})"
        return None


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX: fsync the directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

"""The instance's Ed25519 checkpoint key: a PEM file outside the database, created on first use."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from app.domain.errors import InvalidInput, NotFound


def instance_key(path: Path) -> Ed25519PrivateKey:
    """The signing key kept in `path`, created there (mode 0600) when there is none yet."""
    if not path.exists():
        _create(path)
    return existing_key(path)


def existing_key(path: Path) -> Ed25519PrivateKey:
    """The signing key kept in `path`; NotFound when there is none (nothing is created)."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(
            f"checkpoint key: there is no key at {path}; give the published public key "
            "with --public-key FILE"
        ) from None
    except OSError as exc:
        raise InvalidInput(f"checkpoint key: cannot read {path}: {exc.strerror or exc}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInput(
            f"checkpoint key: {path} may be read by others (mode {stat.S_IMODE(mode):04o}); "
            f"run chmod 600 {path}"
        )
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"checkpoint key: {path} is not an Ed25519 private key in PEM")
    return key


def _create(path: Path) -> None:
    # Written to a private temporary file, then linked into place: another process sees either
    # no key or the whole key, and of two racing first uses one key wins and both use it.
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint_key.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def public_pem(key: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), the form `openssl pkeyutl` reads."""
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def read_public_key(path: Path) -> Ed25519PublicKey:
    """A published public key (PEM), to verify checkpoints without the instance's key."""
    try:
        key = load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise InvalidInput(f"public key: cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"public key: {path} is not an Ed25519 public key in PEM")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key: names the key a checkpoint was signed with."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()

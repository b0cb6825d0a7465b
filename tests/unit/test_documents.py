"""What a document is, from its bytes; the name kept for it; its place in the event's hash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.domain.audit import EventRecord, compute_hash
from app.domain.documents import (
    DocumentRef,
    check_document,
    check_documents,
    clean_name,
    size_in_words,
    sniff,
)
from app.domain.errors import InvalidInput

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        ("Décision du 5 janvier\n".encode(), "text/plain"),
        (b"", "text/plain"),
        (b"PK\x03\x04 a zip, or a .docx", None),
        (b"GIF89a", "text/plain"),  # ASCII bytes: text, which is what they are
        (b"GIF89a\x01\x00\x00", None),  # a real GIF has NUL bytes: refused
        (b"\xef\xbb\xbf<html><script>alert(1)</script>", "text/plain"),  # served as text only
        (b"caf\xe9", None),  # Latin-1, not UTF-8
        (b"tab\tline\r\nfeed\x0c", "text/plain"),
        (b"text with a NUL\x00byte", None),
        (b"%PDF", "text/plain"),  # too short for the signature: text
        (b"MZ\x90\x00\x03", None),  # a Windows executable
    ],
)
def test_the_type_comes_from_the_content(content: bytes, media_type: str | None) -> None:
    assert sniff(content) == media_type


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("instrument.pdf", "instrument.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\clerk\\Desktop\\note.txt", "note.txt"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a..b.pdf", "ab.pdf"),
        (".htaccess", "htaccess"),
        ("bell\x07and\nnewline\r.txt", "bellandnewline.txt"),
        ("  spaced  .pdf ", "spaced  .pdf"),
        ("Décision «finale».pdf", "Décision «finale».pdf"),
    ],
)
def test_a_name_keeps_only_its_last_part_without_tricks(raw: str, kept: str) -> None:
    assert clean_name(raw) == kept


@pytest.mark.parametrize("raw", ["", "   ", "..", "../", "/", "\x00\x01", "dir/.."])
def test_a_name_with_nothing_usable_left_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match="Documents: a file has no usable name") as err:
        clean_name(raw)
    assert err.value.field == "documents"


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = clean_name("x" * 500 + ".pdf")
    assert len(name) == 200 and name.endswith("x.pdf")


@pytest.mark.parametrize(
    ("size", "words"),
    [(0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1000, "1 KB"), (12_345, "12.3 KB"),
     (10_000_000, "10 MB"), (2_500_000_000, "2.5 GB")],
)  # fmt: skip
def test_sizes_in_plain_words(size: int, words: str) -> None:
    assert size_in_words(size) == words


def test_a_file_over_the_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(InvalidInput) as err:
        check_document("law.pdf", PDF + b"0" * 2000, max_bytes=2000)
    assert err.value.message == "Documents: law.pdf is 2,015 bytes; the limit is 2 KB per file"
    assert err.value.field == "documents"


def test_a_file_of_a_refused_type_is_refused_naming_the_allowed_types() -> None:
    with pytest.raises(InvalidInput) as err:
        check_document("scan.pdf", b"GIF89a\x01\x00\x00", max_bytes=2000)
    assert "scan.pdf is not a file of an allowed type" in err.value.message
    assert err.value.message.endswith("allowed: PDF, PNG image, JPEG image or plain text (UTF-8)")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"empty\.txt is empty"):
        check_document("empty.txt", b"", max_bytes=2000)


def test_the_same_file_twice_is_attached_once_and_the_count_is_limited() -> None:
    checked = check_documents([("a.pdf", PDF), ("copy.pdf", PDF), ("b.png", PNG)], 2000, 3)
    assert [(c.ref.name, c.ref.media_type) for c in checked] == [
        ("a.pdf", "application/pdf"),
        ("b.png", "image/png"),
    ]
    with pytest.raises(InvalidInput, match="4 files; at most 3"):
        check_documents([("a.pdf", PDF)] * 4, 2000, 3)


EVENT = EventRecord(
    case_reference="EE-APMBC-2025",
    seq=2,
    trigger="submit_to_parliament",
    from_state="drafting",
    to_state="in_parliament",
    occurred_on=date(2025, 1, 10),
    occurred_until=None,
    recorded_at=datetime(2025, 1, 10, 12, tzinfo=UTC),
    actor="clerk",
    comment="",
    evidence={"bill": "569 SE"},
)
DOC = DocumentRef("a" * 64, "instrument.pdf", "application/pdf", 1234)


def test_an_event_without_documents_hashes_as_before_documents_existed() -> None:
    # the hash every event recorded before documents carries: none of them may change
    body = EVENT.to_json()
    del body["hash"], body["documents"]
    import hashlib
    import json

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert compute_hash(EVENT) == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    "changed",
    [
        replace(DOC, sha256="b" * 64),
        replace(DOC, name="other.pdf"),
        replace(DOC, media_type="text/plain"),
        replace(DOC, size=1235),
    ],
)
def test_every_part_of_a_document_is_in_the_events_hash(changed: DocumentRef) -> None:
    with_doc = replace(EVENT, documents=(DOC,))
    assert compute_hash(with_doc) != compute_hash(EVENT)
    assert compute_hash(replace(EVENT, documents=(changed,))) != compute_hash(with_doc)
    assert compute_hash(replace(EVENT, documents=(DOC, changed))) != compute_hash(with_doc)

"""Uploaded files: the type decided by the content, never by the name or the browser's word; the
size limited; kept under generated names in a private folder with their SHA-256, and read back
only when the hash still matches."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from services.core import private_files
from services.core.config import settings
from services.core.language import t, tn

MAX_BYTES = 10 * 1024 * 1024
# Content signatures ("magic numbers") of the accepted types, and the names they may carry.
KINDS = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}


@dataclass(frozen=True)
class Upload:
    """A file as the person sent it: its name and bytes (checked with file_problem)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Stored:
    storage_name: str
    sha256: str
    content_type: str
    size_bytes: int


def content_type(data: bytes) -> str | None:
    """The accepted type this content really is, or None."""
    for kind, (magic, _) in KINDS.items():
        if data.startswith(magic):
            return kind
    return None


class _NamedFile(Protocol):
    @property
    def filename(self) -> str: ...

    @property
    def data(self) -> bytes: ...


def files_problem(files: Sequence[_NamedFile], most: int) -> str | None:
    """Why a set of files cannot be accepted (too many, or a file that fails), or None."""
    if len(files) > most:
        return tn("Send at most {count} document.", "Send at most {count} documents.", most)
    for number, sent in enumerate(files, start=1):
        problem = file_problem(sent.filename, sent.data)
        if problem:
            return t(
                "Document {number} ({name}): {problem}",
                number=number,
                name=sent.filename or t("no name"),
                problem=problem,
            )
    return None


def suffix(kind: str) -> str:
    """The file-name ending for an accepted type."""
    return KINDS[kind][1][0]


def file_problem(filename: str, data: bytes) -> str | None:
    """Why this file cannot be accepted, or None."""
    kind = content_type(data)
    ending = Path(filename or "").suffix.lower()
    if not data:
        return t("The file is empty.")
    if len(data) > MAX_BYTES:
        return t("The file is larger than 10 MB.")
    if kind is None:
        return t("Only PDF, PNG and JPEG files can be uploaded (this file is none of them).")
    if ending not in KINDS[kind][1]:
        if not ending:
            return t("The file's name has no ending, but it is {kind}.", kind=kind)
        return t("The file's name says {ending}, but it is {kind}.", ending=ending, kind=kind)
    return None


def folder(name: str) -> Path:
    """A private folder for one kind of upload in the data directory."""
    return private_files.private_dir(private_files.private_dir(settings().data_dir) / name)


@contextmanager
def storing(place: Path, data: bytes) -> Iterator[Stored]:
    """Write a checked file under a new name; removed again if the caller's work fails, so a
    refused or failed upload leaves no file behind."""
    kind = content_type(data)
    assert kind is not None, "check the file with file_problem first"
    name = uuid.uuid4().hex
    path = place / name
    try:
        private_files.write_private(path, data)
        yield Stored(name, hashlib.sha256(data).hexdigest(), kind, len(data))
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class _HasData(Protocol):
    @property
    def data(self) -> bytes: ...


Sent = TypeVar("Sent", bound=_HasData)


@contextmanager
def storing_all(place: Path, files: Sequence[Sent]) -> Iterator[list[tuple[Sent, Stored]]]:
    """Keep several checked files; none is left behind if the caller's work fails (enter this
    before the transaction, so a failed commit removes them too)."""
    with ExitStack() as stack:
        yield [(f, stack.enter_context(storing(place, f.data))) for f in files]


def read_checked(place: Path, storage_name: str, sha256: str) -> bytes | None:
    """A stored file's bytes, or None when it is missing or no longer matches its hash."""
    path = place / storage_name
    if not path.exists():
        return None
    data = path.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == sha256 else None

"""Receiving files: content hash, safe names, the archive copy kept exactly as it came."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ingest.findings import ERROR, Finding
from ingest.messages import msg

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]|(^|[\\/])\.\.([\\/]|$)|[\\/]")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(name: str) -> str:
    """A file name that cannot escape a folder or confuse a terminal: used for every path we write."""
    base = re.sub(r"[\x00-\x1f\x7f]", "_", name.replace("\\", "/").split("/")[-1])
    base = base.lstrip(".") or "unnamed"
    return base[:150]


def name_finding(name: str) -> Finding | None:
    """Names with path parts or control characters are refused: they are how files escape folders."""
    if _UNSAFE_NAME.search(name):
        return Finding("file.name_unsafe", ERROR, msg("file.name_unsafe", name=repr(name)),
                       expected="a plain file name", found=repr(name))
    return None


def archive_path(archive_dir: Path, digest: str, name: str) -> Path:
    suffix = Path(safe_name(name)).suffix.lower()
    return archive_dir / digest[:2] / f"{digest}{suffix}"


def write_once(path: Path, data: bytes) -> None:
    """Write a file atomically unless it already exists (content-addressed files never change)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox, skipping hidden files and Excel's lock files (~$name.xlsx)."""
    if not inbox.exists():
        return []
    return sorted(
        p for p in inbox.rglob("*")
        if p.is_file() and not p.name.startswith((".", "~$"))
    )

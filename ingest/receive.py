"""Receiving files: content hash, safe names, the archive copy kept exactly as it came."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ingest.findings import ERROR, Finding
from ingest.messages import Message, msg
from zonestat.settings import setting

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


def arrived_at(path: Path) -> datetime:
    """When a file arrived in its folder, to the microsecond: its inode's change time, which a copy,
    a move or an upload into the folder sets (a copy keeping the original's mtime does not fool it)."""
    return datetime.fromtimestamp(path.lstat().st_ctime_ns / 1e9, timezone.utc)


def write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """`write(partial)` into a hidden file beside `path`, then renamed over it: a reader sees the old
    file or the new one, never half of one, and a write that fails leaves nothing behind."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_once(path: Path, data: bytes) -> None:
    """Write a file whole unless it already exists (content-addressed files never change)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, lambda partial: partial.write_bytes(data))


@dataclass
class InboxListing:
    """What the inbox holds: files to take, links to refuse unread, and files left for later."""

    files: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)  # symbolic links: never followed, refused with a finding
    skipped: list[tuple[Path, Message]] = field(default_factory=list)  # not taken this time, and why


def settle_seconds() -> float:
    """How long a file must stay unchanged before it is taken (an upload or a copy may still be writing it)."""
    return float(setting("ZONESTAT_INBOX_SETTLE_SECONDS"))


def inbox_listing(inbox: Path, settle: float = 0.0) -> InboxListing:
    """The inbox and its subfolders. Links are listed apart and never followed; hidden files and
    Excel's lock files (~$name.xlsx) are skipped with a reason; a file modified in the last
    `settle` seconds is taken only if it has not changed after waiting for it to be that old."""
    listing = InboxListing()
    if not inbox.exists():
        return listing
    fresh: dict[Path, tuple[int, int]] = {}
    now = time.time()
    for folder, dirs, names in os.walk(inbox, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                listing.links.append(base / name)
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink() and not d.startswith("."))
        for name in sorted(names):
            path = base / name
            if path.is_symlink():
                listing.links.append(path)
            elif name.startswith("~$"):
                listing.skipped.append((path, msg("inbox.lock_file", file=name)))
            elif name.startswith("."):
                listing.skipped.append((path, msg("inbox.hidden", file=name)))
            else:
                try:
                    info = path.lstat()
                except OSError:  # gone since listed (an upload renamed into place)
                    continue
                if not stat.S_ISREG(info.st_mode):
                    listing.skipped.append((path, msg("inbox.not_a_file", file=name)))
                    continue
                if now - info.st_mtime < settle:
                    fresh[path] = (info.st_size, info.st_mtime_ns)
                listing.files.append(path)
    if fresh:
        newest = max(ns for _, ns in fresh.values()) / 1e9
        time.sleep(max(0.0, min(settle, newest + settle - time.time())))
        for path, before in fresh.items():
            try:
                info = path.lstat()
            except OSError:  # renamed or removed while we waited: its new name is listed next time
                listing.files.remove(path)
                continue
            if (info.st_size, info.st_mtime_ns) != before:
                listing.files.remove(path)
                listing.skipped.append((path, msg("inbox.still_changing", file=path.name, seconds=f"{settle:g}")))
    listing.files.sort()
    return listing


def inbox_files(inbox: Path) -> list[Path]:
    """The files the inbox holds now (links, hidden and lock files aside), without waiting for any."""
    return inbox_listing(inbox).files

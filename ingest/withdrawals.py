"""Taking a submission out, and putting it back: `zonestat withdraw` and `zonestat restore`.

A withdrawal is an event in the landing (when, why, by whom), never a deletion: the archived
file, the ledger row and the version's figures stay; the warehouse leaves a withdrawn version
out of the current facts and keeps it in the history. The same bytes received again are the same
submission, so a withdrawn file dropped in the inbox again stays withdrawn until restored.
"""

from __future__ import annotations

import getpass
import uuid
from datetime import datetime, timezone

from ingest import land
from zonestat.config import Home

WITHDRAW, RESTORE = "withdraw", "restore"


class UnknownSubmission(ValueError):
    """No submission, or more than one, has the id (or id prefix) given."""


def resolve(home: Home, id_or_prefix: str) -> str:
    """The full submission id for an id or a prefix of one (as `zonestat findings` shows them)."""
    prefix = id_or_prefix.strip().lower()
    folder = home.landing / "submissions"
    matches = sorted(p.stem for p in folder.glob(f"{prefix}*.parquet") if not p.name.startswith("_")) \
        if prefix and all(c in "0123456789abcdef" for c in prefix) else []
    if len(matches) != 1:
        what = "no submission" if not matches else f"{len(matches)} submissions ({', '.join(m[:12] for m in matches[:5])})"
        raise UnknownSubmission(f"{what} in the ledger with the id {id_or_prefix!r}; "
                                "the ids are in fct_submissions and in `zonestat findings`")
    return matches[0]


def record(home: Home, submission_id: str, action: str, reason: str = "") -> dict:
    """Land one withdrawal or restoration event for a submission (landing/withdrawals)."""
    land.ensure_layout(home.landing)
    event = {"event_id": uuid.uuid4().hex, "submission_id": submission_id, "action": action, "reason": reason,
             "event_at": datetime.now(timezone.utc), "event_by": getpass.getuser()}
    land.write(home.landing, "withdrawals", event["event_id"], [event])
    return event


def standing(home: Home, submission_id: str) -> str | None:
    """WITHDRAW or RESTORE, the latest event for the submission, or None when it never had one."""
    events = land.read_table(home.landing, "withdrawals")
    events = events[events.submission_id == submission_id].sort_values("event_at")
    return None if events.empty else events.iloc[-1].action

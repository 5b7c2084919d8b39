"""The inbox sensor: a new or changed file starts a refresh; an unchanged file starts nothing."""


import json

import dagster as dg

from ingest.land import landed_ids
from ingest.receive import inbox_files, sha256
from orchestration.runs import TRIGGER_TAG
from zonestat.config import home


def inbox_changes(cursor: str | None) -> tuple[list[str], str]:
    """(content hashes not seen before, the new cursor).

    The cursor remembers each file's size and modification time with its hash, so a tick
    re-hashes only files that changed on disk, and touching a file without changing its
    bytes starts nothing.
    """
    state = json.loads(cursor) if cursor else {"files": {}, "seen": []}
    seen = set(state["seen"])
    files: dict[str, list] = {}
    new: list[str] = []
    for path in inbox_files(home().inbox):
        try:
            stat = path.stat()
            previous = state["files"].get(str(path))
            if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
                digest = previous[2]
            else:
                digest = sha256(path.read_bytes())
        except OSError:  # gone or unreadable: the refresh that reads it says so, not the sensor
            continue
        files[str(path)] = [stat.st_size, stat.st_mtime_ns, digest]
        if digest not in seen:
            seen.add(digest)
            new.append(digest)
    return new, json.dumps({"files": files, "seen": sorted(seen)})


def build_inbox_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(job=job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Starts a refresh when a new or changed file arrives in ZONESTAT_HOME/inbox.")
    def inbox_sensor(context: dg.SensorEvaluationContext):
        new, cursor = inbox_changes(context.cursor)
        context.update_cursor(cursor)
        if not new:
            return dg.SkipReason("no new or changed file in the inbox")
        landed = landed_ids(home().landing)
        new = [digest for digest in new if digest not in landed]
        if not new:  # the sensor's first look at an inbox that `zonestat refresh` has already read
            return dg.SkipReason("every new file in the inbox was already taken in by an earlier refresh")
        run_key = sha256("".join(sorted(new)).encode())[:24]
        return dg.RunRequest(run_key=run_key, tags={TRIGGER_TAG: "inbox", "zonestat/new_files": str(len(new))})
    return inbox_sensor

"""Shared benchmark plumbing: sample data cached on disk, measurements in child processes.

Each measurement runs in its own Python process so its peak memory (ru_maxrss) is its own;
every comparison is measured side by side in one run, because these machines are shared
and noisy: quote the ratios, not the seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

BENCH_DIR = Path(os.environ.get("ZONESTAT_BENCH_DIR", "/tmp/zonestat-bench"))
RESULTS = Path(__file__).with_name("results")


def sample(name: str, **kwargs) -> Path:
    """A cached `zonestat sample` output folder."""
    from zonestat.sample import generate

    folder = BENCH_DIR / "samples" / name
    done = folder / ".done"
    if not done.exists():
        started = time.perf_counter()
        stats = generate(folder / "files", **kwargs)
        done.write_text(json.dumps(stats))
        print(f"  generated sample {name}: {stats} in {time.perf_counter() - started:.0f} s", flush=True)
    return folder / "files"


def measure(code: str, env: dict[str, str] | None = None) -> dict:
    """Run `code` in a fresh interpreter; it must set `result` (a dict). Adds seconds and peak MiB."""
    body = "\n".join("    " + line for line in textwrap.dedent(code).strip().splitlines())
    # Everything under the main guard: ingest's worker processes re-import this script.
    program = f"""
import json, resource, time

def main():
    started = time.perf_counter()
    result = {{}}
{body}
    result["seconds"] = time.perf_counter() - started
    result["peak_mib"] = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    print("BENCH_RESULT " + json.dumps(result))

if __name__ == "__main__":
    main()
"""
    script = BENCH_DIR / "measure.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(program)
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                               env={**os.environ, **(env or {})}, cwd=Path(__file__).resolve().parent.parent)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"measurement failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return json.loads(line.removeprefix("BENCH_RESULT "))


def record(name: str, result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))

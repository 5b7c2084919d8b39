"""The folders show the flow: no import runs back up it, and the development tools stay out of a refresh."""

import ast
import subprocess
import sys

from zonestat.config import REPO_ROOT

# Each step, and what it may import besides itself: the steps before it and the shared domain code.
SHARED = {"zonestat.notation", "zonestat.units", "zonestat.text", "zonestat.reference", "zonestat.config",
          "zonestat.target", "zonestat.warehouse", "zonestat.progress", "zonestat.settings"}
MAY_IMPORT = {
    # the door's checks run on each parsed file (GX in a process of its own)
    "ingest": {"ingest", "expectations.submission_checks", "expectations.door_process"},
    "expectations": {"expectations", "ingest"},
    "orchestration": {"orchestration", "expectations", "ingest"},
}


def _imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} if "." in node.module else {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name.split(".")[0] in ("ingest", "expectations", "orchestration", "zonestat")}


def test_no_import_runs_back_up_the_flow():
    wrong = []
    for step, allowed in MAY_IMPORT.items():
        for path in (REPO_ROOT / step).glob("*.py"):
            for name in _imports(path):
                if name not in SHARED and not any(name == a or name.startswith(a + ".") for a in allowed):
                    wrong.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    for domain in ("notation", "units", "text", "reference"):  # shared by every step: imports none of them
        path = REPO_ROOT / "zonestat" / f"{domain}.py"
        wrong += [f"{path.relative_to(REPO_ROOT)} imports {name}" for name in _imports(path) - SHARED]
    assert not wrong, "\n".join(wrong)


def test_a_refresh_does_not_import_the_sample_generator_or_its_file_writers():
    steps = ["orchestration.definitions", "orchestration.assets", "orchestration.publish", "ingest.pipeline",
             "expectations.engine", "expectations.feedback", "expectations.file_rules"]
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys\n" + "".join(f"import {m}\n" for m in steps)
         + "print(sorted(m for m in sys.modules if m.startswith('zonestat.')))"],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout
    assert "zonestat.notation" in loaded  # the import ran
    assert "zonestat.sample" not in loaded and "zonestat.submission_files" not in loaded

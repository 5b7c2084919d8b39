"""The README's paths into the repository are there in a clone; none points outside it."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_path_the_readme_names_is_in_the_repository():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`([\w./-]+/[\w.-]+\.(?:md|py|sql|yml|yaml|csv|toml|json))`", text))
    assert "ingest/submission-format.md" in paths
    assert not [p for p in paths if p.startswith("..") or not (REPO / p).is_file()], paths

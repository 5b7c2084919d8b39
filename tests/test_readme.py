"""The README's paths into the repository are there in a clone; none points outside it."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_path_the_readme_names_is_in_the_repository():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`([\w./-]+/[\w.-]+\.(?:md|py|sql|yml|yaml|csv|toml|json))`", text))
    assert "ingest/submission-format.md" in paths
    assert not [p for p in paths if p.startswith("..") or not (REPO / p).is_file()], paths


# The variables the README names that have no default: connection secrets, the paths a hand-run dbt
# is given, and a benchmark's baseline.
WITHOUT_DEFAULT = {"ZONESTAT_PG_HOST", "ZONESTAT_PG_USER", "ZONESTAT_PG_PASSWORD", "ZONESTAT_PG_READER_PASSWORD",
                   "ZONESTAT_WORK_DB", "ZONESTAT_LANDING", "ZONESTAT_BENCH_BASELINE"}


def test_every_setting_the_readme_names_is_read_with_the_default_it_says():
    """Each ZONESTAT_* variable the README names is one zonestat reads (zonestat/settings.py), and
    the README says its default beside it (a number as the README writes it, 2,000,000 or 2000000)."""
    from zonestat.settings import DEFAULTS

    text = (REPO / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"ZONESTAT_[A-Z0-9_]+", text))
    assert named - WITHOUT_DEFAULT <= set(DEFAULTS), named - WITHOUT_DEFAULT - set(DEFAULTS)
    for name in sorted(named - WITHOUT_DEFAULT):
        default = DEFAULTS[name]
        said = {default} | ({f"{int(default):,}"} if default.isdigit() else set())
        beside = [text[max(0, m.start() - 80):m.end() + 90] for m in re.finditer(name + r"\b", text)]
        assert any(re.search(rf"(?<![\w,.]){re.escape(form)}(?!\w|[,.]\d)", window)
                   for window in beside for form in said), (name, default, beside)

"""The README's paths into the repository are there in a clone; none points outside it."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_path_the_readme_names_is_in_the_repository():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`([\w./-]+/[\w.-]+\.(?:md|py|sql|yml|yaml|csv|toml|json))`", text))
    assert "ingest/submission-format.md" in paths
    assert not [p for p in paths if p.startswith("..") or not (REPO / p).is_file()], paths


# Variables the README names that are not zonestat's settings: the paths a hand-run dbt is given,
# and a benchmark's baseline.
NOT_SETTINGS = {"ZONESTAT_WORK_DB", "ZONESTAT_LANDING", "ZONESTAT_BENCH_BASELINE"}


def test_the_settings_table_lists_every_setting_with_the_default_zonestat_reads():
    from zonestat.settings import DEFAULTS, WITHOUT_DEFAULT

    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(ZONESTAT_[A-Z0-9_]+)` \| `?([^`|]+?)`? \|", text, re.MULTILINE))
    assert table == DEFAULTS | dict.fromkeys(WITHOUT_DEFAULT, "none")
    named = set(re.findall(r"ZONESTAT_[A-Z0-9_]+", text))
    assert named - NOT_SETTINGS == set(table), named - NOT_SETTINGS ^ set(table)


def test_the_prose_says_a_setting_s_default_as_the_table_does():
    """Where the README's prose gives a setting's default, it is in parentheses right after its
    name ('the last `ZONESTAT_KEEP_SNAPSHOTS` (7) snapshots'), and it is the one zonestat reads."""
    from zonestat.settings import DEFAULTS

    text = (REPO / "README.md").read_text(encoding="utf-8").split("## Settings")[0]
    said = re.findall(r"`(ZONESTAT_[A-Z0-9_]+)`\s+\(`?([^`),]+(?:,\d{3})*)", text)
    assert len(said) >= 12, said
    assert [(name, default.replace(",", "")) for name, default in said] == \
        [(name, DEFAULTS[name]) for name, _ in said]
    # and no default said some other way: a number set apart from its name by words
    assert not re.findall(r"`ZONESTAT_[A-Z0-9_]+`,? (?:default|\d)", text)


def test_dbt_s_profile_falls_back_on_the_defaults_zonestat_reads():
    """dbt run by hand reads the variables itself (profiles.yml), with its own fallbacks."""
    from zonestat.settings import DEFAULTS

    profile = (REPO / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    fallbacks = dict(re.findall(r"env_var\('(ZONESTAT_\w+)', '([^']*)'\)", profile))
    assert len(fallbacks) >= 4 and fallbacks == {k: DEFAULTS[k] for k in fallbacks}

"""What forces a full rebuild, what only a new publication, and what neither (orchestration/fingerprint.py)."""

from pathlib import Path

from orchestration import fingerprint
from zonestat.config import Home


def test_only_the_build_s_code_forces_a_full_rebuild(tmp_path, monkeypatch):
    code = {name: tmp_path / "repo" / name for name in ("dbt_project", "expectations", "ingest")}
    for folder in code.values():
        folder.mkdir(parents=True)
    (code["dbt_project"] / "fct.sql").write_text("select 1")
    (code["expectations"] / "suggest.py").write_text("X = 1")
    (code["ingest"] / "parse.py").write_text("Y = 1")
    monkeypatch.setattr(fingerprint, "BUILD_CODE", (code["dbt_project"],))
    monkeypatch.setattr(fingerprint, "RULES_CODE", (code["expectations"],))
    h = Home(tmp_path / "home").ensure()
    h.work_db.write_bytes(b"")
    fingerprint.record_build(h, fingerprint.inputs_fingerprint(h))
    monkeypatch.setattr(Home, "last_publication", lambda self: h.work_db)  # as if published
    fingerprint.record_publication(h)
    assert fingerprint.unchanged_since_publication(h, fingerprint.inputs_fingerprint(h))

    rules_ran_on = fingerprint.rules_basis(h)  # what the quality step's findings stand on

    (code["ingest"] / "parse.py").write_text("Y = 2")  # how new files are read: not how the landed ones build
    now = fingerprint.inputs_fingerprint(h)
    assert not fingerprint.needs_full_refresh(h, now) and fingerprint.unchanged_since_publication(h, now)
    (h.landing / "submissions").mkdir(parents=True)
    (h.landing / "submissions" / "new.parquet").write_bytes(b"")  # a new file: the rules check what changed
    assert fingerprint.rules_basis(h) == rules_ran_on
    fingerprint.record_build(h, fingerprint.inputs_fingerprint(h))  # the refresh that took it in
    fingerprint.record_publication(h)

    compiled = code["dbt_project"] / "target" / "compiled"  # dbt run by hand in the project: its output
    compiled.mkdir(parents=True)
    (compiled / "fct.sql").write_text("select 1")
    now = fingerprint.inputs_fingerprint(h)
    assert not fingerprint.needs_full_refresh(h, now) and fingerprint.unchanged_since_publication(h, now)

    (code["expectations"] / "suggest.py").write_text("X = 2")  # the rules: a new publication, incremental
    now = fingerprint.inputs_fingerprint(h)
    assert not fingerprint.needs_full_refresh(h, now) and not fingerprint.unchanged_since_publication(h, now)
    assert fingerprint.rules_basis(h) != rules_ran_on  # and every rule over every report
    rules_ran_on = fingerprint.rules_basis(h)

    (code["dbt_project"] / "tests").mkdir()
    (code["dbt_project"] / "tests" / "a_test.sql").write_text("select 1 where false")  # a test: every row again
    assert fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    fingerprint.record_build(h, fingerprint.inputs_fingerprint(h))  # the full build it made
    assert not fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    assert fingerprint.rules_basis(h) != rules_ran_on  # the rules run again over the rebuilt facts
    rules_ran_on = fingerprint.rules_basis(h)
    (code["dbt_project"] / "fct.sql").write_text("select 2")  # the build's code: everything again
    assert fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    # the rules go by what the facts were built with, which changes with the build, not before it
    assert fingerprint.rules_basis(h) == rules_ran_on
    fingerprint.record_build(h, fingerprint.inputs_fingerprint(h))
    assert fingerprint.rules_basis(h) != rules_ran_on


def test_the_catalogue_s_relations_and_the_landed_columns_rebuild_as_data_not_as_text(tmp_path, monkeypatch):
    """The rules' dbt models (dbt_project/models/quality) read the catalogue's tables, which
    expectations/catalogue.py expands from catalogue.yaml, and dbt carries the landed figure columns
    on to the facts: a change to either rebuilds in full, as a change to a model would. A comment in
    the files that make them, or in catalogue.py itself, builds nothing differently and does not."""
    import pyarrow as pa

    from expectations import catalogue
    from ingest import land

    yaml_copy = tmp_path / "catalogue.yaml"
    yaml_copy.write_text(catalogue.CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(catalogue, "CATALOGUE", yaml_copy)
    h = Home(tmp_path / "home").ensure()
    h.work_db.write_bytes(b"")
    fingerprint.record_build(h, fingerprint.inputs_fingerprint(h))
    rules = catalogue.load()

    yaml_copy.write_text(yaml_copy.read_text(encoding="utf-8") + "\n# a note on the rules\n", encoding="utf-8")
    assert not fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    assert str(Path(catalogue.__file__).parent) not in map(str, fingerprint.BUILD_CODE)  # catalogue.py's text

    with monkeypatch.context() as changed:  # a rule less: other rows in dq_rules
        changed.setattr(catalogue.load, "__wrapped__", lambda: rules[:-1])
        assert fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    with monkeypatch.context() as changed:  # a column the figures land with
        changed.setattr(land, "TABLES", {**land.TABLES, "figures": land.TABLES["figures"].append(
            pa.field("note_of_the_board", pa.string()))})
        assert fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    assert not fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))

    yaml_copy.write_text("rules: [{kind: balance}]\n", encoding="utf-8")  # malformed: the build's step says why
    assert fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))


def test_the_rules_fingerprint_covers_the_domain_code_they_import():
    """A change to what the rules' findings are made with runs them over every report again: each
    module of ingest/ or zonestat/ that the quality engine imports, directly or through another, is
    in RULES_CODE, but for the plumbing that says where and how to connect."""
    import ast

    from zonestat.config import REPO_ROOT

    plumbing = {"zonestat.config", "zonestat.target", "zonestat.warehouse"}
    covered = {p for code in fingerprint.RULES_CODE for p in (fingerprint.code_files(code) if code.is_dir() else [code])}
    to_read = [f"expectations.{module}" for module in ("catalogue", "quality", "suggest", "engine")]
    seen = set(to_read)
    while to_read:
        tree = ast.parse(REPO_ROOT.joinpath(*to_read.pop().split(".")).with_suffix(".py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("ingest", "zonestat",
                                                                                                  "expectations"):
                names = [node.module] if "." in node.module else [f"{node.module}.{a.name}" for a in node.names]
                for name in set(names) - seen - plumbing:
                    seen.add(name)
                    to_read.append(name)
                    assert REPO_ROOT.joinpath(*name.split(".")).with_suffix(".py") in covered, name


def test_each_domain_of_the_indicators_has_its_fact_model_and_no_other_calls_the_macro():
    """One list of fact tables (reference.fact_tables: dbt_project.yml's fact_domains, which must
    hold every domain of the indicators): the dbt models that build them with
    macros/fact_table.sql are exactly those."""
    from zonestat import reference
    from zonestat.config import DBT_PROJECT_DIR

    built = {p.stem for p in (DBT_PROJECT_DIR / "models").rglob("*.sql") if "fact_table(" in p.read_text()}
    assert built == set(reference.fact_tables()) and len(built) == 5


def test_supplied_rates_rebuild_in_full_and_how_runs_are_orchestrated_rebuilds_nothing(tmp_path):
    """Rates supplied in ZONESTAT_HOME/rates convert every figure of their years again, which the
    reporter-year increments do not follow; orchestration/ is in neither the build's fingerprint nor
    the rules'."""
    from zonestat.config import REPO_ROOT

    h = Home(tmp_path / "home").ensure()
    h.work_db.write_bytes(b"")
    fingerprint.record_build(h, fingerprint.inputs_fingerprint(h))
    assert not fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))
    (h.landing / "fx_rates").mkdir(parents=True)
    (h.landing / "fx_rates" / "rates-2024.parquet").write_bytes(b"")  # a rates file taken in
    assert fingerprint.needs_full_refresh(h, fingerprint.inputs_fingerprint(h))

    covered = [p for code in (*fingerprint.BUILD_CODE, *fingerprint.RULES_CODE)
               for p in (fingerprint.code_files(code) if code.is_dir() else [code])]
    assert covered and not [p for p in covered if (REPO_ROOT / "orchestration") in p.parents]

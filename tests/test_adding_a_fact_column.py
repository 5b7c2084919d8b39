"""The README's "Adding a rule or a fact column", proved on a copy of the repository with exactly the
edits it lists, through real refreshes: a column computed from what is landed is a line of
dbt_project/macros/fact_table.sql and its entry in the facts' contract; a column read from the boards'
files is one field in ingest/figure_record.py and its entry in the contract (with its line in the
submission format, which is documentation), on DuckDB and on PostgreSQL."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.homes import query
from tests.fixtures.postgres import connect, private_server
from tests.fixtures.workbooks import HEADER, META, workbook
from zonestat.config import REPO_ROOT, Home

pytestmark = pytest.mark.slow

FIELD_AFTER = "    share_problem: Message | None"  # the end of FigureRow
NEW_FIELD = '    contact: Annotated[str | None, FromFile("nguoi_lien_he", "lien_he")]  # who to ask about the figure\n'
CONTRACT_AFTER = "    description: The board's note (trên = more than, ước = estimate)\n"
NEW_CONTRACT = """  - name: contact
    data_type: text
    description: Who to ask about the figure, as the board wrote it (nguoi_lien_he)
"""
FORMAT_AFTER = "| `ghi_chu` | no | free note (`trên` = \"more than\", `ước` = estimate) |\n"
NEW_FORMAT = "| `nguoi_lien_he` | no | who to ask about the figure |\n"


def _insert_after(path: Path, anchor: str, text: str) -> None:
    source = path.read_text(encoding="utf-8")
    assert anchor in source, f"{path}: the example's anchor has moved"
    line_end = source.index("\n", source.index(anchor)) + 1
    path.write_text(source[:line_end] + text + source[line_end:], encoding="utf-8")


def _repository_copy(to: Path) -> Path:
    shutil.copytree(REPO_ROOT, to, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".zonestat", "__pycache__", "*.egg-info", ".pytest_cache", "target", "logs", "bench"))
    return to


def _zonestat(*args: str, code: Path | None = None, engine_env: dict[str, str] | None = None) -> str:
    """A real zonestat command, with the installed code or with that of the repository copy `code`;
    what it printed."""
    env = {**os.environ, **(engine_env or {}), **({"PYTHONPATH": str(code)} if code else {})}
    done = subprocess.run([sys.executable, "-m", "zonestat.cli", *args], cwd=code, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@contextmanager
def _warehouse(engine: str, home: Home) -> Iterator[tuple[dict[str, str], Callable[[str], list[list]]]]:
    """What a refresh on `engine` needs in its environment, and a query of what it published."""
    if engine == "duckdb":
        def published(sql: str) -> list[list]:
            rows = query(home.published_db, sql)
            return rows.astype(object).where(rows.notna(), None).values.tolist()
        yield {}, published
        return
    with private_server() as server:
        admin = connect(server, dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("create database zonestat")
        admin.close()

        def published(sql: str) -> list[list]:
            with connect(server) as con, con.cursor() as cur:
                cur.execute(sql)
                return [list(row) for row in cur.fetchall()]
        yield {"ZONESTAT_DBT_TARGET": "postgres", "ZONESTAT_PG_READER_PASSWORD": "reader-password", **server}, published


def test_a_computed_column_is_a_line_of_the_fact_table_macro(zhome: Home, tmp_path: Path):
    repo = _repository_copy(tmp_path / "repo")
    _insert_after(repo / "dbt_project/macros/fact_table.sql", "    f.status,", "    f.status = 'uoc' as is_estimate,\n")
    _insert_after(repo / "dbt_project/models/marts/_facts.yml", CONTRACT_AFTER, """  - name: is_estimate
    data_type: boolean
    description: The report is an estimate (uoc)
""")
    workbook(zhome.inbox / "estimate.xlsx", [["INV_NEW_PROJ", "", "", "TONG", "dự án", "21", None, None, None]])
    _zonestat("refresh")
    said = _zonestat("refresh", code=repo)
    assert "  fct_investment: new columns is_estimate\n" in said and "No table's rows or columns changed" not in said, said
    assert query(zhome.published_db, "select is_estimate from main.fct_investment").values.tolist() == [[True]]


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_a_column_from_the_boards_files_reaches_the_facts(engine: str, zhome: Home, tmp_path: Path):
    header = [*HEADER, "Người liên hệ"]
    hanoi = [("ma_tinh", "01"), *META[1:]]
    contacts = "select reporter_code, value, contact from main.fct_investment order by 1"
    with _warehouse(engine, zhome) as (engine_env, published):
        # A report landed before the column existed.
        workbook(zhome.inbox / "before.xlsx", [["INV_NEW_PROJ", "", "", "TONG", "dự án", "7", None, None, None]],
                 meta=hanoi)
        _zonestat("refresh", engine_env=engine_env)
        full_build = zhome.work_db.parent / "full-build-fingerprint.txt"
        first_build = full_build.read_text()

        repo = _repository_copy(tmp_path / "repo")
        _insert_after(repo / "ingest/figure_record.py", FIELD_AFTER, NEW_FIELD)
        _insert_after(repo / "dbt_project/models/marts/_facts.yml", CONTRACT_AFTER, NEW_CONTRACT)
        _insert_after(repo / "ingest/submission-format.md", FORMAT_AFTER, NEW_FORMAT)
        with_contact = workbook(zhome.inbox / "with_contact.xlsx", [
            ["INV_NEW_PROJ", "", "", "TONG", "dự án", "21", None, None, None, "Nguyễn Văn An, 0912 345 678"]],
            header=header)
        [report] = json.loads(_zonestat("validate", "--json", str(with_contact), code=repo))
        assert report["figures"][0]["contact"] == "Nguyễn Văn An, 0912 345 678"
        said = _zonestat("refresh", code=repo, engine_env=engine_env)  # a full build: the contract changed
        assert "  fct_investment: new columns contact\n" in said, said
        assert full_build.read_text() != first_build
        assert published(contacts) == [["01", 7.0, None], ["34", 21.0, "Nguyễn Văn An, 0912 345 678"]]

        # A new version of the report landed before: an incremental build reads both versions' figures.
        last_full_build = full_build.read_text()
        workbook(zhome.inbox / "official.xlsx", [["INV_NEW_PROJ", "", "", "TONG", "dự án", "8", None, None, None,
                                                  "Trần Thị Bình"]], header=header,
                 meta=[*hanoi[:2], ("trang_thai", "chinh_thuc")])
        _zonestat("refresh", code=repo, engine_env=engine_env)
        assert full_build.read_text() == last_full_build  # incremental
        assert published(contacts) == [["01", 8.0, "Trần Thị Bình"], ["34", 21.0, "Nguyễn Văn An, 0912 345 678"]]
        # every version keeps what it said
        assert published("select value, contact from main.fct_figure_revisions order by value") == [
            [7.0, None], [8.0, "Trần Thị Bình"], [21.0, "Nguyễn Văn An, 0912 345 678"]]

"""Bad input, the ledger and quarantine: every file accepted or rejected with reasons, nothing lost."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ingest import land
from ingest.pipeline import ingest_paths, read_submission
from ingest.receive import sha256
from tests.fixtures.workbooks import good, row, workbook
from zonestat.submission_files import write_xlsx


def zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (210 * 1024 * 1024))
    return path


def xlsm(path: Path, source: Path) -> Path:
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(path, "w") as out:
        for item in z.namelist():
            out.writestr(item, z.read(item))
        out.writestr("xl/vbaProject.bin", b"\x00macro " + path.name.encode())
    return path


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the rule that must reject it)."""
    src = good(tmp_path, "source.xlsx")
    files = {}
    files["corrupt"] = (tmp_path / "corrupt.xlsx", "file.corrupt")
    files["corrupt"][0].write_bytes(b"PK\x03\x04 this is not really a workbook")
    files["truncated"] = (tmp_path / "truncated.xlsx", "file.corrupt")
    files["truncated"][0].write_bytes(src.read_bytes()[:1500])
    files["empty"] = (tmp_path / "empty.xlsx", "file.empty")
    files["empty"][0].write_bytes(b"")
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.save(tmp_path / "no_sheets.xlsx")
    files["no_sheets"] = (tmp_path / "no_sheets.xlsx", "file.sheets")
    files["zip_bomb"] = (zip_bomb(tmp_path / "bomb.xlsx"), "file.zip_bomb")
    files["too_large"] = (tmp_path / "large.csv", "file.too_large")
    files["too_large"][0].write_bytes(b"ma_tinh,gia_tri\n" + b"34,1\n" * (5 * 1024 * 1024))
    files["xlsm"] = (xlsm(tmp_path / "macro.xlsm", src), "file.macros")
    files["macros_renamed"] = (xlsm(tmp_path / "renamed.xlsx", src), "file.macros")
    files["formula_no_cache"] = (workbook(tmp_path / "formula.xlsx", [row("INV_NEW_PROJ", "=SUM(1,2)")]),
                                 "figure.value_readable")
    return files


@pytest.mark.slow
def test_each_bad_file_is_quarantined_with_its_finding_and_the_run_goes_on(tmp_path, zhome, monkeypatch):
    monkeypatch.setenv("ZONESTAT_MAX_FILE_MB", "10")
    bad = bad_files(tmp_path)
    ok = good(tmp_path)
    summary = ingest_paths(zhome, [p for p, _ in bad.values()] + [ok])
    assert len(summary.accepted) == 1 and len(summary.rejected) == len(bad)
    ledger = land.read_table(zhome.landing, "submissions").set_index("file_name")
    for name, (path, rule) in bad.items():
        digest = sha256(path.read_bytes())
        findings = json.loads((zhome.quarantine / digest / "findings.json").read_text())
        assert rule in {f["rule"] for f in findings["findings"]}, (name, findings)
        assert (zhome.quarantine / digest / path.name).read_bytes() == path.read_bytes()
        assert ledger.loc[path.name, "outcome"] == "rejected"
    assert ledger.loc["good.xlsx", "outcome"] == "accepted"
    docs = zhome.gx / "data_docs"
    assert (docs / "index.html").exists() and list((docs / "validations").rglob("*.html"))


def test_unsafe_file_names_are_refused_and_never_used_as_paths(tmp_path, zhome):
    data = good(tmp_path).read_bytes()
    for name in ("../../etc/passwd.xlsx", "bad\x1b[31mname.xlsx"):
        sub = read_submission(data, name, sha256(data))
        assert sub.rejected and sub.findings[0].rule == "file.name_unsafe"
        assert "/" not in sub.file_name and "\x1b" not in sub.file_name


def test_formula_like_text_is_kept_as_text_and_never_becomes_a_formula(tmp_path):
    path = write_xlsx(tmp_path / "inj.xlsx", {"ma_tinh": "34", "ky_bao_cao": "2019-11"}, [
        {"ma_chi_tieu": "INV_NEW_PROJ", "don_vi": "dự án", "gia_tri": "21", "ghi_chu": "=HYPERLINK(\"x\")"},
        {"ma_chi_tieu": "INV_ADJ_PROJ", "don_vi": "lượt", "gia_tri": "30", "ghi_chu": "@SUM(A1)"},
        {"ma_chi_tieu": "INV_LICENSED", "don_vi": "lượt", "gia_tri": "51", "ghi_chu": "+1", "chi_tieu": "-x"},
    ])
    with zipfile.ZipFile(path) as z:
        xml = next(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and b"HYPERLINK" in z.read(n))
    assert b"<f>" not in xml
    data = path.read_bytes()
    sub = read_submission(data, path.name, sha256(data))
    assert list(sub.figures["note"]) == ['=HYPERLINK("x")', "@SUM(A1)", "+1"]
    assert sub.figures.loc[2, "indicator_label"] == "-x"


@pytest.mark.slow
def test_same_bytes_twice_is_a_no_op(tmp_path, zhome):
    path = good(tmp_path)
    first = ingest_paths(zhome, [path])
    landed = sorted(p.name for p in (zhome.landing / "figures").iterdir())
    copy = tmp_path / "copy-with-another-name.xlsx"
    copy.write_bytes(path.read_bytes())
    second = ingest_paths(zhome, [path, copy])
    assert len(first.accepted) == 1 and second.already_known == 2 and not second.accepted
    assert sorted(p.name for p in (zhome.landing / "figures").iterdir()) == landed


@pytest.mark.slow
def test_every_version_is_kept_and_archived_as_it_came(tmp_path, zhome):
    v1 = good(tmp_path, "v1.xlsx", value="21")
    v2 = good(tmp_path, "v2.xlsx", value="22", status="chinh_thuc")
    ingest_paths(zhome, [v1])
    ingest_paths(zhome, [v2])
    ledger = land.read_table(zhome.landing, "submissions")
    assert sorted(ledger["status"]) == ["chinh_thuc", "uoc"]
    for path in (v1, v2):
        digest = sha256(path.read_bytes())
        assert (zhome.archive / digest[:2] / f"{digest}.xlsx").read_bytes() == path.read_bytes()
        assert (zhome.landing / "figures" / f"{digest}.parquet").exists()


@pytest.mark.slow
def test_validate_command(tmp_path):
    ok, bad = good(tmp_path), bad_files(tmp_path)["formula_no_cache"][0]
    zonestat = Path(sys.executable).with_name("zonestat")
    result = subprocess.run([str(zonestat), "validate", str(ok), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)[0]
    assert report["status"] == "accepted" and report["reporter"]["code"] == "34"
    assert report["reporter"]["vintage"] == 2008 and report["reporter"]["name"] == "Thái Bình"
    assert report["figures"][0] == {"indicator": "INV_NEW_PROJ", "zone": "", "breakdown": "TONG", "value": 21.0,
                                    "unit": "count", "original_text": "21", "original_unit": "dự án",
                                    "growth_pct": None, "growth_as_typed": "", "share_pct": None,
                                    "share_as_typed": "", "cell": "SoLieu!F2", "note": ""}
    result = subprocess.run([str(zonestat), "validate", str(ok), str(bad), "--json"], capture_output=True, text=True)
    assert result.returncode == 1
    rejected = json.loads(result.stdout)[1]
    assert rejected["status"] == "rejected"
    assert {"rule": "figure.value_readable", "cell": "F2", "sheet": "SoLieu"}.items() <= rejected["findings"][0].items()


@pytest.mark.slow
def test_files_read_by_two_workers_land_in_order(tmp_path, zhome, monkeypatch):
    import ingest.pipeline as pipeline

    files = [good(tmp_path, f"f{i}.xlsx", value=str(20 + i)) for i in range(5)]
    files.append(bad_files(tmp_path)["formula_no_cache"][0])
    monkeypatch.setenv("ZONESTAT_WORKERS", "2")
    monkeypatch.setattr(pipeline, "CHUNK_FILES", 2)  # three door batches, read while the one before is checked
    summary = ingest_paths(zhome, files)
    assert len(summary.accepted) == 5 and len(summary.rejected) == 1
    figures = land.read_table(zhome.landing, "figures")
    assert sorted(figures[figures.indicator == "INV_NEW_PROJ"]["value"]) == [20, 21, 22, 23, 24]
    assert not list((zhome.landing / ".staging").glob("*.parquet"))  # accepted moved in, rejected discarded


def test_a_file_is_written_whole_or_not_at_all(tmp_path):
    from ingest.receive import write_whole

    target = tmp_path / "ledger.parquet"
    target.write_bytes(b"old")

    def fails_halfway(partial: Path) -> None:
        partial.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_whole(target, fails_halfway)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["ledger.parquet"]
    write_whole(target, lambda partial: partial.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["ledger.parquet"]

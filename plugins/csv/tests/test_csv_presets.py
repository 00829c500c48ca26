"""Every preset: its tool's export shape synced and aged (the expected aging is worked out by
hand in preset_fixtures.py), and the clear error for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from preset_fixtures import PRESETS

AS_OF = "2026-11-30"
BUCKETS = ("current", "1-30", "31-60", "61-90", "91+", "unapplied", "total")


def configure(home: Path, cli: Any, sources_csv: str = "", currency: str | None = None) -> None:
    """Create the default profile and add ``[sources.csv]`` lines to its config.toml."""
    assert cli("profile", "show").exit_code == 0
    path = home / "profiles" / "default" / "config.toml"
    text = path.read_text().split("\n[sources.csv]\n")[0]  # replace what an earlier call added
    if currency:
        text = text.replace('currency = "USD"', f'currency = "{currency}"', 1)
    if sources_csv:
        text += "\n[sources.csv]\n" + sources_csv
    path.write_text(text)


def export(tmp_path: Path, spec: dict[str, Any], text: str | None = None) -> Path:
    path = tmp_path / "export" / spec["file"]
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(
        (text if text is not None else spec["text"]).encode(spec.get("encoding", "utf-8"))
    )
    return path


def aged(cli: Any, as_of: str = AS_OF) -> dict[str, dict[str, str]]:
    """customer name -> its non-zero buckets and total, from ``aging --format json``."""
    result = cli("aging", "--format", "json", "--as-of", as_of)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    return {
        r["customer"]: {b: r[b] for b in BUCKETS if r[b] != "0.00" or b == "total"} for r in rows
    }


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_export_syncs_and_ages_as_worked_out_by_hand(preset, cli, collectctl_home, tmp_path):
    spec = PRESETS[preset]
    configure(collectctl_home, cli, spec.get("config", ""), spec.get("currency"))
    path = export(tmp_path, spec)
    result = cli("sync", "csv", path, "--preset", preset, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert aged(cli) == spec["expected"]
    # Past as-of dates warn exactly when the export has no payment dates.
    past = cli("aging", "--as-of", "2026-10-01")
    assert past.exit_code == 0, past.stderr
    assert ("approximate" in past.stderr) is spec["approximate"]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_a_missing_column_names_it_and_suggests_the_header(
    preset, cli, collectctl_home, tmp_path
):
    spec = PRESETS[preset]
    configure(collectctl_home, cli, spec.get("config", ""), spec.get("currency"))
    header = spec["issue_header"]
    text = (
        spec["text"].replace(f"{header},", "Created On,", 1).replace(f"{header};", "Created On;", 1)
    )
    path = export(tmp_path, spec, text)
    result = cli("sync", "csv", path, "--preset", preset)
    assert result.exit_code == 1
    assert f"{spec['file']}:" in result.stderr
    assert "'issue_date' is missing" in result.stderr
    assert "[sources.csv.columns.invoices]" in result.stderr
    assert aged(cli) == {}  # nothing written


@pytest.mark.parametrize("preset", sorted(p for p in PRESETS if PRESETS[p]["status"]))
def test_preset_an_unknown_status_is_named_with_its_line(preset, cli, collectctl_home, tmp_path):
    spec = PRESETS[preset]
    configure(collectctl_home, cli, spec.get("config", ""), spec.get("currency"))
    lines = spec["text"].split("\n")
    n = spec["status_line"]
    assert spec["status"] in lines[n - 1]
    lines[n - 1] = lines[n - 1].replace(spec["status"], "On Hold")
    result = cli("sync", "csv", export(tmp_path, spec, "\n".join(lines)), "--preset", preset)
    assert result.exit_code == 1
    assert f"{spec['file']}:{n}" in result.stderr
    assert "unknown status 'On Hold'" in result.stderr
    assert aged(cli) == {}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_an_ambiguous_or_impossible_date_is_an_error(preset, cli, collectctl_home, tmp_path):
    spec = PRESETS[preset]
    configure(collectctl_home, cli, spec.get("config", ""), spec.get("currency"))
    lines = spec["text"].split("\n")
    n = spec.get("date_line") or spec["status_line"]
    assert spec["issue"] in lines[n - 1]
    # Presets whose tool writes one order read 03/04/2026 that way; 31/31/2026 is no date.
    bad = "31/31/2026" if spec["dates_ordered"] else "03/04/2026"
    lines[n - 1] = lines[n - 1].replace(spec["issue"], bad, 1)
    result = cli("sync", "csv", export(tmp_path, spec, "\n".join(lines)), "--preset", preset)
    assert result.exit_code == 1
    assert f"{spec['file']}:{n}" in result.stderr
    assert bad in result.stderr
    if spec["dates_ordered"]:
        assert "is not a date" in result.stderr
    else:
        assert "is ambiguous" in result.stderr
        assert 'date_order = "dmy"' in result.stderr
    assert aged(cli) == {}

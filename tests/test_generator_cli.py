"""The command line: help, a normal run, and every kind of bad input (exit code 2, one line on stderr, no files)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import data_generation.simulator as simulator
from data_generation import GenerationError, generate
from data_generation.scenario import SCENARIO_DIR

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data_generation", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _tree(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_help_lists_the_options():
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--scenario", "--seed", "--users", "--days", "--start-date", "--output", "--quiet"):
        assert option in result.stdout
    assert "saas" in result.stdout and "health_enrollment" in result.stdout


def test_a_small_run_writes_the_folder_and_reports_progress(tmp_path):
    out = tmp_path / "run"
    result = run_cli("--scenario", "gifting", "--users", "200", "--days", "40", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "events.parquet").is_file() and (out / "truth.json").is_file()
    assert "events:" in result.stderr and "wrote" in result.stderr
    quiet = run_cli("--scenario", "gifting", "--users", "200", "--days", "40", "--output", str(out), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scenario", "no_such_business"], "unknown scenario 'no_such_business'"),
        (["--users", "0"], "users must be positive"),
        (["--users", "-5"], "users must be positive"),
        (["--users", "ten"], "argument --users: expected a whole number"),
        (["--days", "0"], "days must be positive"),
        (["--days", "1.5"], "argument --days: expected a whole number"),
        (["--start-date", "2025-02-30"], "start date '2025-02-30' is not a valid date"),
        (["--start-date", "01/02/2025"], "not a date in the form YYYY-MM-DD"),
        (["--seed", "-1"], "seed must be a whole number >= 0"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    out = tmp_path / "never"
    result = run_cli(*args, "--output", str(out), "--users" if "--users" not in args else "--days", "5")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_output_folder_is_refused(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run_cli("--users", "50", "--days", "10", "--output", str(blocker / "out"))
    assert result.returncode == 2
    expected = f"error: cannot write output folder {blocker / 'out'}: {blocker} is not a folder"
    assert result.stderr.strip().splitlines() == [expected]
    result = run_cli("--users", "50", "--days", "10", "--output", str(blocker))
    assert result.returncode == 2 and "a file with that name exists" in result.stderr
    assert blocker.read_text() == "not a folder"


def test_a_folder_with_other_files_is_not_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    result = run_cli("--users", "50", "--days", "10", "--output", str(tmp_path))
    assert result.returncode == 2
    assert "(not a generator output); refusing to replace it" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def _broken_scenario(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load((SCENARIO_DIR / "saas.yaml").read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda d: d["funnel"]["step_conversion"]["organic"].update(activate=1.7),
            "funnel.step_conversion.organic.activate: must be <= 1, got 1.7",
        ),
        (lambda d: d["channels"].pop("organic"), "funnel.step_conversion.organic: unknown key"),
        (lambda d: d["funnel"].pop("conversion_window_days"), "funnel.conversion_window_days: required key is missing"),
        (lambda d: d.update(funel=1), "funel: unknown key"),
        (lambda d: d["calendar"].update(weekday_weights=[1, 2, 3]), "calendar.weekday_weights: expected a list of 7"),
        (lambda d: d["dbt_vars"].update(funnel_steps=["sign_up", "subscribe"]), "dbt_vars.funnel_steps: must equal"),
        (
            lambda d: d["experiments"][0].update(control_variant="nobody"),
            "experiments[0].control_variant: 'nobody' is not one of the variants",
        ),
        (
            lambda d: d["revenue"]["plans"][0].update(billing_period="week"),
            "revenue.plans[0].billing_period: expected 'month' or 'year'",
        ),
        (
            lambda d: d["channels"]["paid_search"].update(cost_per_signup="cheap"),
            "channels.paid_search.cost_per_signup: expected a number, got string 'cheap'",
        ),
    ],
)
def test_an_invalid_scenario_file_names_the_key(tmp_path, edit, message):
    path = _broken_scenario(tmp_path, edit)
    out = tmp_path / "out"
    result = run_cli("--scenario", str(path), "--users", "50", "--days", "10", "--output", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: invalid scenario file {path}: ")
    assert message in lines[0]
    assert not out.exists()


def test_a_scenario_file_that_is_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    result = run_cli("--scenario", str(path), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: invalid scenario file {path}: not valid YAML at line 2"


def test_a_failed_run_leaves_the_previous_output_untouched(tmp_path, monkeypatch):
    out = generate(scenario="saas", seed=1, users=150, days=30, output=tmp_path / "out")
    before = _tree(out)

    def failing_batches(self, progress=None):
        yield from []
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(simulator.Simulation, "batches", failing_batches)
    with pytest.raises(GenerationError, match="No space left on device"):
        generate(scenario="saas", seed=2, users=150, days=30, output=out)
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left behind


def test_a_rerun_replaces_a_previous_output(tmp_path):
    out = generate(scenario="saas", seed=1, users=150, days=30, output=tmp_path / "out")
    first = _tree(out)
    generate(scenario="saas", seed=2, users=150, days=30, output=out)
    assert _tree(out) != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

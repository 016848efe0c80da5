"""The rebuilt importer writes what the importer before it wrote: the same users, events, rejects and summary counts
on every fixture and on the two shared datasets, on DuckDB and PostgreSQL.

The golden record was taken with the old importer (see tests/import_golden.py). Where behaviour changed on purpose,
the change is named here and asserted on its own (and in tests/test_import_hardening.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import SHARED_DATASETS
from tests.import_golden import CASES, digest, golden_path, run_case
from tests.test_importer import ImportWarehouse, need_shared
from tests.test_importer import wh as wh_fixture

wh = wh_fixture  # the importer's two-warehouse fixture

# Digests of the normalised rows the old importer wrote for the shared datasets (python -m tests.import_golden
# --record prints them).
DATASET_GOLDEN: dict[str, dict[str, Any]] = {
    "heymax_full": {
        "summaries": [
            {
                "files": 1,
                "read": 10000,
                "loaded": 10000,
                "rejected": 0,
                "blank_lines": 0,
                "written": {"users": 100, "events": 10000, "import_rejects": 0},
                "users_derived": 0,
                "duplicate_registrations": 0,
                "warnings": [],
            }
        ],
        "tables": {
            "users": {"rows": 100, "sha256": "f6f923f0136bc8f7b297334b03907146dff790fb5c6deda0678f43af565f0fd0"},
            "events": {"rows": 10000, "sha256": "d23b6dc2c8332e21e4d7ae15518f00de8c2c24d1e4fd35b373736fd38dea3595"},
            "import_rejects": {"rows": 0, "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        },
    },
    "send_a_tree_slice": {
        "summaries": [
            {
                "files": 9,
                "read": 75393,
                "loaded": 75393,
                "rejected": 0,
                "blank_lines": 0,
                "written": {"users": 33741, "events": 75393, "import_rejects": 0},
                "users_derived": 26439,
                "duplicate_registrations": 0,
                "warnings": [],
            }
        ],
        "tables": {
            "users": {"rows": 33741, "sha256": "2762932c07d1c4f2f1dc03847afbbf565755ea98401ec3922c59ac7b7210f57e"},
            "events": {"rows": 75393, "sha256": "b8dca721404c4d4c73186d1a36e4c83fa76b6a247874b9ae8e284df283defc04"},
            "import_rejects": {"rows": 0, "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        },
    },
}


def _expected_summaries(name: str, summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The golden summaries with the intended changes applied:

    - every import records the files it read in raw.import_files (``written`` names that table too);
    - ``--append`` skips the files an earlier import already read (same name, size and modification time): in the
      "append" case the second import reads nothing and the third reads only the new file (the tables end the
      same: the rows of the skipped files were there already).
    """
    out = copy.deepcopy(summaries)
    for summary in out:
        summary["written"]["import_files"] = summary["files"]
    if name == "append":
        assert [s["files"] for s in out] == [1, 1, 2]  # the old importer read every file every time
        nothing = {"files": 0, "read": 0, "loaded": 0, "rejected": 0, "blank_lines": 0}
        out[1].update(nothing, written={"users": 0, "events": 0, "import_rejects": 0, "import_files": 0})
        out[2].update(files=1, read=1, loaded=1, rejected=0)
        out[2]["written"]["import_files"] = 1
    return out


@pytest.mark.parametrize("chunks", ["one chunk", "small chunks"])
@pytest.mark.parametrize("name", list(CASES))
def test_same_rows_as_the_old_importer(wh: ImportWarehouse, tmp_path, name, chunks):
    """The same rows whether the input is one chunk or many: chunks of 2 records for the fixtures (users, repeated
    user records and files fall across chunk borders), 7,919 (a prime: borders fall mid-file) for the datasets."""
    builder, shared, kind = CASES[name]
    if shared:
        need_shared(SHARED_DATASETS)
    chunk_lines = None if chunks == "one chunk" else (2 if kind == "rows" else 7919)

    def run(mapping, **kwargs):  # ImportWarehouse.run with the chunk size
        return wh.run(mapping, chunk_lines=chunk_lines, **kwargs)

    result = run_case(name, tmp_path / "case", run, wh.query)
    if kind == "rows":
        golden = json.loads(golden_path(name).read_text())
        assert json.loads(json.dumps(result["tables"], default=str)) == golden["tables"]
        expected = golden["summaries"]
    else:
        golden = DATASET_GOLDEN[name]
        assert digest(result["tables"]) == golden["tables"]
        expected = golden["summaries"]
    assert json.loads(json.dumps(result["summaries"], default=str)) == _expected_summaries(name, expected)

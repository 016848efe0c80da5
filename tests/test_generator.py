"""The simulator's output: contract schemas, determinism, referential integrity and invariants, for every scenario."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from data_generation import available_scenarios, generate
from data_generation.readback import first_deliveries, read_dataset, read_truth
from warehouse.contract import TABLES

SMALL = {"seed": 11, "users": 600, "days": 150, "start_date": date(2025, 1, 6)}
SCENARIOS = ["saas", "ecommerce", "health_enrollment", "gifting"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """Every shipped scenario at a small scale, generated once for this module."""
    root = tmp_path_factory.mktemp("gen")
    return {name: generate(scenario=name, output=root / name, **SMALL) for name in SCENARIOS}


@pytest.fixture(scope="module")
def data(generated) -> dict[str, dict[str, pd.DataFrame]]:
    return {name: read_dataset(folder) for name, folder in generated.items()}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_every_shipped_scenario_is_tested():
    assert sorted(SCENARIOS) == available_scenarios()


# ----------------------------------------------------------------------------------------------------------------
# Files, schemas, truth


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_files_and_schemas_match_the_contract(generated, scenario):
    folder = generated[scenario]
    truths = {"truth.json", "truth_churn.parquet"}
    expected_files = {f"{t}.parquet" for t in TABLES} | truths | {"dbt_vars.yml", "batch.json"}
    assert {p.name for p in folder.iterdir()} == expected_files
    for name, table in TABLES.items():
        schema = pq.read_schema(folder / f"{name}.parquet")
        assert schema.equals(table.arrow_schema(), check_metadata=False), name


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_truth_counts_match_the_files(generated, data, scenario):
    truth = read_truth(generated[scenario])
    for name in TABLES:
        assert truth["counts"][name] == len(data[scenario][name]), name
    assert truth["counts"]["distinct_events"] == data[scenario]["events"]["event_id"].nunique()
    assert truth["users"] == SMALL["users"] == len(data[scenario]["users"])
    assert truth["start_date"] == "2025-01-06"
    assert truth["end_date"] == (SMALL["start_date"] + timedelta(days=SMALL["days"] - 1)).isoformat()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_truth_has_the_required_keys(generated, scenario):
    truth = read_truth(generated[scenario])
    for key in (
        "scenario",
        "seed",
        "users",
        "days",
        "start_date",
        "end_date",
        "funnel",
        "incidents",
        "experiments",
        "segments",
        "channels",
        "duplicate_event_share",
        "late_event_share",
        "counts",
    ):
        assert key in truth, key
    funnel = truth["funnel"]
    assert funnel["conversion_window_days"] == 14
    steps = funnel["steps"]
    for channel, per_step in funnel["step_conversion_by_channel"].items():
        assert set(per_step) == set(steps)  # truth.json sorts keys: the order is funnel.steps
        assert per_step[steps[0]] == 1.0
        product = 1.0
        for step in steps[1:]:
            product *= per_step[step]
        assert funnel["overall_conversion_by_channel"][channel] == pytest.approx(product, abs=1e-5)
    assert {"date", "step", "conversion_multiplier", "description"} <= set(truth["incidents"][0])
    effects = sorted(e["has_effect"] for e in truth["experiments"].values())
    assert effects == [False, True]
    for exp in truth["experiments"].values():
        rates = exp["conversion_rate"]
        assert exp["true_absolute_lift"] == pytest.approx(
            rates[exp["treatment_variant"]] - rates[exp["control_variant"]], abs=1e-6
        )
        assert sum(exp["planned_split"].values()) == pytest.approx(1.0)
    paid = [c for c in truth["channels"].values() if c["paid"]]
    assert paid and all(c["cost_per_signup"] > 0 for c in paid)
    assert ("revenue" in truth) == (scenario == "saas")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_dbt_vars_file_matches_the_funnel(generated, scenario):
    folder = generated[scenario]
    dbt_vars = yaml.safe_load((folder / "dbt_vars.yml").read_text())
    truth = read_truth(folder)
    assert dbt_vars["funnel_steps"] == truth["funnel"]["steps"]
    assert dbt_vars["funnel_conversion_window_days"] == 14
    assert dbt_vars["revenue_source"] == {"saas": "payments", "health_enrollment": "none"}.get(scenario, "events")
    assert dbt_vars["activity_events"]


def test_same_inputs_give_byte_identical_files_and_another_seed_differs(generated, tmp_path):
    again = generate(scenario="saas", output=tmp_path / "again", **SMALL)
    assert _digests(again) == _digests(generated["saas"])
    other = generate(scenario="saas", output=tmp_path / "other", **{**SMALL, "seed": SMALL["seed"] + 1})
    differing = {name for name, digest in _digests(other).items() if _digests(again)[name] != digest}
    assert {"users.parquet", "events.parquet", "sessions.parquet", "truth.json"} <= differing


def test_block_wise_generation_is_deterministic_and_consistent(tmp_path, monkeypatch):
    """Sessions and events are generated in blocks of users; with many small blocks the output is still
    deterministic, identifiers stay unique and every event's session exists."""
    import data_generation.simulator as simulator

    monkeypatch.setattr(simulator, "CHUNK_USERS", 70)
    args = {**SMALL, "users": 400, "days": 60}
    first = generate(scenario="gifting", output=tmp_path / "a", **args)
    second = generate(scenario="gifting", output=tmp_path / "b", **args)
    assert _digests(first) == _digests(second)
    assert pq.ParquetFile(first / "events.parquet").metadata.num_row_groups > 5
    d = read_dataset(first)
    assert d["sessions"]["session_id"].is_unique
    assert set(d["events"]["session_id"].dropna()) == set(d["sessions"]["session_id"])
    events = first_deliveries(d["events"])
    assert len(events) == read_truth(first)["counts"]["distinct_events"]
    created = d["users"].set_index("user_id")["created_at"]
    assert (events["occurred_at"] >= events["user_id"].map(created)).all()


# ----------------------------------------------------------------------------------------------------------------
# Referential integrity


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_referential_integrity(data, generated, scenario):
    d = data[scenario]
    users, sessions, events = d["users"], d["sessions"], d["events"]
    assert users["user_id"].is_unique
    assert sessions["session_id"].is_unique
    assert set(sessions["user_id"]) <= set(users["user_id"])
    assert set(events["user_id"]) <= set(users["user_id"])
    with_session = events.dropna(subset=["session_id"])
    assert set(with_session["session_id"]) <= set(sessions["session_id"])
    owner = sessions.set_index("session_id")["user_id"]
    assert (with_session["session_id"].map(owner) == with_session["user_id"]).all()
    assert set(d["subscriptions"]["user_id"]) <= set(users["user_id"])
    assert set(d["subscriptions"]["plan_id"]) <= set(d["plans"]["plan_id"])
    assert d["plans"]["plan_id"].is_unique
    pay = d["payments"]
    assert pay["payment_id"].is_unique
    assert set(pay["subscription_id"]) <= set(d["subscriptions"]["subscription_id"])
    assert set(pay["plan_id"]) <= set(d["plans"]["plan_id"])
    sub_owner = d["subscriptions"].drop_duplicates("subscription_id").set_index("subscription_id")["user_id"]
    assert (pay["subscription_id"].map(sub_owner) == pay["user_id"]).all()
    assert set(pay["retry_of_payment_id"].dropna()) <= set(pay["payment_id"])
    assert set(pay["refunded_payment_id"].dropna()) <= set(pay["payment_id"])
    design = set(zip(d["experiments"]["experiment_id"], d["experiments"]["variant"], strict=True))
    assigned = d["experiment_assignments"]
    assert set(zip(assigned["experiment_id"], assigned["variant"], strict=True)) <= design
    assert set(assigned["user_id"]) <= set(users["user_id"])
    assert not assigned.duplicated(["experiment_id", "user_id"]).any()
    spend = d["marketing_spend"]
    paid = {name for name, c in read_truth(generated[scenario])["channels"].items() if c["paid"]}
    assert set(spend["channel"]) == paid
    assert len(spend) == len(paid) * SMALL["days"]
    assert not spend.duplicated(["spend_date", "channel"]).any()


# ----------------------------------------------------------------------------------------------------------------
# Invariants


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_nothing_happens_before_the_user_exists_or_after_the_data_ends(data, scenario):
    d = data[scenario]
    created = d["users"].set_index("user_id")["created_at"]
    end = pd.Timestamp(SMALL["start_date"] + timedelta(days=SMALL["days"]))
    events, sessions = d["events"], d["sessions"]
    assert (events["occurred_at"] >= events["user_id"].map(created)).all()
    assert (sessions["started_at"] >= sessions["user_id"].map(created)).all()
    assert (events["occurred_at"] < end).all()
    assert (sessions["ended_at"] < end).all()
    assert (d["users"]["created_at"] >= pd.Timestamp(SMALL["start_date"])).all()
    for table, column in (
        ("subscriptions", "valid_from"),
        ("payments", "created_at"),
        ("experiment_assignments", "assigned_at"),
    ):
        frame = d[table]
        assert (frame[column] >= frame["user_id"].map(created)).all(), table
        assert (frame[column] < end).all(), table
    for name in TABLES:
        assert d[name]["loaded_at"].notna().all()
    assert (events["loaded_at"] >= events["occurred_at"]).all()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_sessions_contain_their_events(data, scenario):
    d = data[scenario]
    sessions = d["sessions"].set_index("session_id")
    ev = d["events"].dropna(subset=["session_id"])
    assert (sessions["ended_at"] >= sessions["started_at"]).all()
    assert (ev["occurred_at"] >= ev["session_id"].map(sessions["started_at"])).all()
    assert (ev["occurred_at"] <= ev["session_id"].map(sessions["ended_at"])).all()
    firsts = ev.groupby("session_id")["occurred_at"].min()
    lasts = ev.groupby("session_id")["occurred_at"].max()
    assert (firsts == sessions.loc[firsts.index, "started_at"]).all()
    assert (lasts == sessions.loc[lasts.index, "ended_at"]).all()
    assert set(sessions.index) == set(ev["session_id"])  # no empty session
    assert (ev["device"] == ev["session_id"].map(sessions["device"])).all()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_first_funnel_step_is_the_sign_up(data, generated, scenario):
    d = data[scenario]
    first_step = read_truth(generated[scenario])["funnel"]["steps"][0]
    events = first_deliveries(d["events"])
    entry = events[events["event_name"] == first_step].groupby("user_id")["occurred_at"].min()
    created = d["users"].set_index("user_id")["created_at"]
    assert len(entry) == len(created)
    assert (entry == created.loc[entry.index]).all()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_duplicates_are_identical_later_deliveries(data, scenario):
    events = data[scenario]["events"]
    dup = events[events["event_id"].duplicated(keep=False)].sort_values(["event_id", "loaded_at"])
    assert len(dup) > 0
    content = [c for c in events.columns if c != "loaded_at"]
    assert dup.groupby("event_id").size().eq(2).all()
    firsts, seconds = dup.iloc[0::2].reset_index(drop=True), dup.iloc[1::2].reset_index(drop=True)
    pd.testing.assert_frame_equal(firsts[content], seconds[content])
    assert (seconds["loaded_at"] > firsts["loaded_at"]).all()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_amounts_and_properties_are_well_formed(data, scenario):
    d = data[scenario]
    events = d["events"]
    assert (events["amount"].dropna() >= 0).all()
    assert (d["payments"]["amount"] > 0).all()
    assert (d["marketing_spend"]["spend"] >= 0).all()
    assert (d["plans"]["price"] > 0).all()
    parsed = events["properties"].drop_duplicates().map(json.loads)
    assert parsed.map(lambda p: isinstance(p, dict)).all()
    assert d["users"]["properties"].map(json.loads).map(lambda p: isinstance(p, dict)).all()
    assert events["event_name"].notna().all()
    if scenario in ("ecommerce", "gifting"):
        purchases = events[events["event_name"] == "purchase"]
        assert len(purchases) > 0 and purchases["amount"].notna().all() and (purchases["amount"] > 0).all()
        assert events.loc[events["event_name"] != "purchase", "amount"].isna().all()


@pytest.mark.parametrize("scenario", ["ecommerce", "health_enrollment", "gifting"])
def test_scenarios_without_subscriptions_have_empty_revenue_tables(data, scenario):
    for name in ("plans", "subscriptions", "payments"):
        assert len(data[scenario][name]) == 0


def test_gifting_referrals_point_to_earlier_users_who_invited_them(data):
    d = data["gifting"]
    users = d["users"].set_index("user_id")
    props = users["properties"].map(json.loads)
    referred = props[props.map(lambda p: "referred_by" in p)].map(lambda p: p["referred_by"])
    assert len(referred) > 0.3 * len(users)
    assert (users.loc[referred.index, "acquisition_channel"] == "invite_a_friend").all()
    assert (users.loc[referred.values, "created_at"].values < users.loc[referred.index, "created_at"].values).all()
    invites = first_deliveries(d["events"]).query("event_name == 'invite_a_friend'")
    invited_pairs = invites.merge(referred.rename("inviter").reset_index(), left_on="user_id", right_on="inviter")
    before = invited_pairs[invited_pairs["occurred_at"] < invited_pairs["user_id_y"].map(users["created_at"])]
    assert before["user_id_y"].nunique() == len(referred)  # every referred user's inviter sent an invite before


def test_health_programme_lasts_twelve_weeks(data):
    d = data["health_enrollment"]
    ev = first_deliveries(d["events"])
    enrolled = ev[ev["event_name"] == "enrolled"].set_index("user_id")["occurred_at"]
    member_events = ev[ev["event_name"].isin(["module_completed", "checkin_submitted", "coach_message_sent"])]
    assert (member_events["user_id"].isin(enrolled.index)).all()
    assert (member_events["occurred_at"] >= member_events["user_id"].map(enrolled)).all()
    assert (member_events["occurred_at"] <= member_events["user_id"].map(enrolled) + pd.Timedelta(days=84)).all()
    done = ev[ev["event_name"] == "program_completed"]
    assert len(done) > 0
    assert (done["occurred_at"] == done["user_id"].map(enrolled) + pd.Timedelta(days=84)).all()

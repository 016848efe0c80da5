"""Scenario files: the business being simulated, as data (YAML), parsed into typed, validated objects.

A scenario names its channels, devices, countries, segments, funnel, event vocabulary, experiments, plans and every
probability that drives behaviour. ``load_scenario`` checks the file against a small schema and raises
``ScenarioError`` naming the offending key (``funnel.step_conversion.organic.activate: ...``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from data_generation.errors import GenerationError, ScenarioError
from data_generation.scenario.model import (
    ActivityEvent,
    AmountSpec,
    Calendar,
    Channel,
    Device,
    Engagement,
    EventSpec,
    Experiment,
    Funnel,
    Incident,
    JsonScalar,
    Plan,
    ProgramCap,
    Referral,
    Resurrection,
    Revenue,
    Scenario,
    Segment,
    StepDelay,
)
from data_generation.scenario.parse import parse_scenario

SCENARIO_DIR = Path(__file__).parent.parent / "scenarios"

__all__ = [
    "SCENARIO_DIR",
    "ActivityEvent",
    "AmountSpec",
    "Calendar",
    "Channel",
    "Device",
    "Engagement",
    "EventSpec",
    "Experiment",
    "Funnel",
    "Incident",
    "JsonScalar",
    "Plan",
    "ProgramCap",
    "Referral",
    "Resurrection",
    "Revenue",
    "Scenario",
    "Segment",
    "StepDelay",
    "available_scenarios",
    "load_scenario",
    "parse_scenario",
    "resolve_scenario_path",
]


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_scenario_path(scenario: str | Path) -> Path:
    """A shipped scenario name (``saas``) or a path to a scenario YAML file."""
    text = str(scenario)
    if text in available_scenarios():
        return SCENARIO_DIR / f"{text}.yaml"
    path = Path(text)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise GenerationError(f"scenario file {text} does not exist")
        return path
    raise GenerationError(
        f"unknown scenario {text!r}: expected one of {', '.join(available_scenarios())} or a .yaml file"
    )


def load_scenario(scenario: str | Path) -> Scenario:
    path = resolve_scenario_path(scenario)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"invalid scenario file {path}: not valid YAML{where}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GenerationError(f"cannot read scenario file {path}: {exc}") from exc
    return parse_scenario(data, source=str(path))

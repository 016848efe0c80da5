"""A small stand-in for dbt's Jinja context, so sqlfluff's fast `jinja` templater renders the models without dbt.

sqlfluff loads this package (``library_path`` in ``dbt_project/.sqlfluff``) and puts its public names into the
Jinja context of every model it lints:

* ``var()`` returns the project's default from ``dbt_project.yml`` (lists stay lists, so loops over
  ``var('funnel_steps')`` unroll as in a real build);
* the project's own macros (every ``{% macro %}`` in ``macros/``) are compiled once per process and run for real;
  ``adapter.dispatch('name')`` picks ``postgres__name``, else ``default__name`` (the lint dialect is postgres);
* the ``dbt`` namespace (``dbt.type_string()``, ``dbt.dateadd(...)``) lives in the ``dbt`` submodule and renders
  type names and plain function calls.

Only the *shape* of the rendered SQL matters: sqlfluff reports style problems in the model's own text, and
templated parts just have to parse. Nothing here is used by dbt itself.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import jinja2
import yaml
from sqlfluff.core.templaters.builtins.dbt import DBT_BUILTINS, DbtMacroWrapper
from sqlfluff.core.templaters.jinja import DBTTestExtension

from . import dbt as dbt_namespace

_PROJECT_DIR = Path(__file__).resolve().parent.parent
_PROJECT_FILE = _PROJECT_DIR / "dbt_project.yml"
_MACRO_DIR = _PROJECT_DIR / "macros"
# sqlfluff re-executes this module for every linted file; compiled macros are kept here between files.
_CACHE_KEY = "_growth_analytics_sqlfluff_cache"
_MACRO_DEF = re.compile(r"{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def _call(name: str, *args: Any, **kwargs: Any) -> str:
    parts = [str(a) for a in args] + [str(v) for v in kwargs.values()]
    return f"{name}({', '.join(parts)})"


def _project_vars() -> dict[str, Any]:
    data = yaml.safe_load(_PROJECT_FILE.read_text()) or {}
    return dict(data.get("vars") or {})


_VARS = _project_vars()


def var(name: str, default: Any = None) -> Any:
    """The var's default from dbt_project.yml (or the call's default; the var's name when both are null)."""
    value = _VARS.get(name, default)
    return name if value is None else value


def env_var(name: str, default: str = "") -> str:
    return default or name


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise jinja2.TemplateRuntimeError(message)

    @staticmethod
    def warn(message: str) -> str:
        return ""


class _Target:
    type = "postgres"
    name = "postgres"
    schema = "marts"
    database = "warehouse"


class _Adapter:
    """`adapter.dispatch('m', 'pkg')` -> the project's postgres__m / default__m macro, else a call `m(...)`."""

    def __init__(self, macros: dict[str, Any]) -> None:
        self._macros = macros

    def dispatch(self, macro_name: str, macro_namespace: str | None = None) -> Any:
        for prefix in ("postgres__", "default__"):
            macro = self._macros.get(prefix + macro_name)
            if macro is not None:
                return macro
        return getattr(dbt_namespace, macro_name)

    def quote(self, identifier: str) -> str:
        return f'"{identifier}"'

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: _call(name, *args, **kwargs)


def _macro_files_signature() -> tuple[tuple[str, float], ...]:
    return tuple((str(p), p.stat().st_mtime) for p in sorted(_MACRO_DIR.rglob("*.sql")))


def _compile_macros() -> dict[str, Any]:
    """Every macro of macros/, compiled in one Jinja environment whose globals are this dbt stand-in."""
    macros: dict[str, Any] = {}
    namespace: dict[str, Any] = dict(DBT_BUILTINS)
    namespace.update(
        var=var,
        env_var=env_var,
        dbt=dbt_namespace,
        exceptions=_Exceptions(),
        target=_Target(),
        adapter=_Adapter(macros),
        execute=False,
    )
    # Macros call each other by name, and Jinja binds a macro's free names when its file is loaded: so every
    # macro name first points at a late-bound forwarder that looks the compiled macro up when called.
    for path in sorted(_MACRO_DIR.rglob("*.sql")):
        for name in _MACRO_DEF.findall(path.read_text()):
            namespace[name] = _forwarder(macros, name)
    env = jinja2.Environment(extensions=["jinja2.ext.do", DBTTestExtension], keep_trailing_newline=True)
    for path in sorted(_MACRO_DIR.rglob("*.sql")):
        try:
            module = env.from_string(path.read_text(), globals=namespace).module
        except jinja2.TemplateError:
            continue  # a macro file the stand-in cannot load: models calling it fail to lint visibly
        for name, value in vars(module).items():
            if isinstance(value, jinja2.runtime.Macro):
                macros[name] = DbtMacroWrapper(value)
    return macros


def _forwarder(macros: dict[str, Any], name: str) -> Any:
    def forward(*args: Any, **kwargs: Any) -> Any:
        if name not in macros:
            return _call(name, *args, **kwargs)
        return macros[name](*args, **kwargs)

    return forward


def _cached_macros() -> dict[str, Any]:
    cache = sys.modules.get(_CACHE_KEY)
    signature = _macro_files_signature()
    if cache is None or getattr(cache, "signature", None) != signature:
        cache = types.ModuleType(_CACHE_KEY)
        cache.signature = signature
        cache.macros = _compile_macros()
        sys.modules[_CACHE_KEY] = cache
    return cache.macros


_MACROS = _cached_macros()
adapter = _Adapter(_MACROS)
exceptions = _Exceptions()
target = _Target()
execute = False
globals().update({name: macro for name, macro in _MACROS.items() if "__" not in name})

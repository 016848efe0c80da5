"""Bring your own events: read an event export described by a mapping YAML into schema ``raw``.

The export may be CSV, another delimited text (space, tab, ...), NDJSON or Parquet; one file or a folder of files;
gzipped or not. The mapping (see ``docs/importing.md``) says which input column holds each contract column. The
import fills ``raw.users`` and ``raw.events`` (the other contract tables are left empty), writes every record it
could not read to ``raw.import_rejects`` with the file, line number and reason, and every file it read to
``raw.import_files``, so that

    records read = records loaded + records rejected

holds for every import (checked before the commit). Events without an event id get one from where they come from
(``<dataset>:<file>:<line>``): re-importing a file adds nothing, and identical lines stay separate events.

Modules: :mod:`.mapping` and :mod:`.fields` (the mapping, typed and validated), :mod:`.readers` (files -> numbered
records in bounded chunks), :mod:`.parsing` (the SQL that parses and types a chunk), :mod:`.staging` (the working
DuckDB), :mod:`.sink` (the warehouse transaction), :mod:`.run` (the import), :mod:`.prefetch` (read-ahead),
:mod:`.progress`, :mod:`.summary`.
"""

from warehouse.importer.fields import MappingError, expand_env
from warehouse.importer.mapping import Mapping, read_mapping
from warehouse.importer.readers import iter_text_records, list_files
from warehouse.importer.run import import_events
from warehouse.importer.summary import ImportSummary

__all__ = [
    "ImportSummary",
    "Mapping",
    "MappingError",
    "expand_env",
    "import_events",
    "iter_text_records",
    "list_files",
    "read_mapping",
]

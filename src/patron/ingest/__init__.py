"""Reading what a firm's systems export: readers, mappings, presets, validation."""

from patron.ingest.load import ImportReport, import_file
from patron.ingest.mapping import Mapping, load_mapping

__all__ = ["ImportReport", "Mapping", "import_file", "load_mapping"]

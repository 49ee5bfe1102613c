"""Export models to the simulators designers use: an ngspice SPICE library and model cards."""

from devicekit.export.writers import FORMATS, export_text, write_export

__all__ = ["FORMATS", "export_text", "write_export"]

"""Sphinx configuration of devicekit's documentation (``make docs``).

Built offline: every page is in this folder or generated from the package at build time (the
API, CLI and card-format references, by ``_ext/dkdocs.py``), and the gallery's examples are
executed by sphinx-gallery, so every figure in it is made by the code above it.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import devicekit  # noqa: E402

project = "devicekit"
author = "devicekit developers"
copyright = "2026, devicekit developers (GPL-3.0-or-later)"
release = version = devicekit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "dkdocs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "examples/**/GALLERY_HEADER.rst", "examples/GALLERY_HEADER.rst"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_js_files = ["figures-loaded.js"]
html_theme = "alabaster"
html_theme_options = {"description": "neuromorphic and iontronic devices", "fixed_sidebar": True}
html_title = f"devicekit {release}"
html_math_renderer = "text"  # LaTeX source, offline (docs/_ext/dkdocs.py)


myst_heading_anchors = 3
myst_enable_extensions: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",  # every example is executed
    "download_all_examples": False,
    "remove_config_comments": True,
    "subsection_order": ["examples/neurons", "examples/fitting", "examples/export"],
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
    "write_computation_times": False,  # its pages load tables from a CDN
}

suppress_warnings = ["config.cache"]  # sphinx-gallery's conf holds functions

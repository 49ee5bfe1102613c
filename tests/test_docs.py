"""The documentation site: ``make docs``'s build (Sphinx, warnings as errors, the gallery's
examples executed) from this checkout, then what a reader meets: every public name in the API
reference, every internal link and figure resolving, and two pages opened in headless Chromium
with every figure loaded."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import devicekit
from tests.conftest import chromium_dom

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.docs]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built as ``make docs`` builds it, into a temporary folder."""
    out = tmp_path_factory.mktemp("docs")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [str(BIN / "sphinx-build"), "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / "doctrees"), str(ROOT / "docs"), str(out / "html")],
        capture_output=True, text=True, timeout=900, env=env,
    )  # fmt: skip
    # -W: any warning (a broken reference, a bad docstring, a failing example) fails the build
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    return out / "html"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_every_public_name_is_in_the_api_reference(site):
    api = _parse(site / "reference" / "api.html")
    missing = [
        n for n in devicekit.__all__ if n != "__version__" and f"devicekit.{n}" not in api.ids
    ]
    # dk.fit is a callable package, which calls devicekit.fit.fit: documented as that
    missing = [n for n in missing if not (n == "fit" and "devicekit.fit.fit" in api.ids)]
    assert not missing, missing
    for module in ("devicekit.datasets", "devicekit.errors", "devicekit.models.stimuli"):
        names = __import__(module, fromlist=["__all__"]).__all__
        absent = [n for n in names if f"{module}.{n}" not in api.ids
                  and f"devicekit.{n}" not in api.ids]  # fmt: skip
        assert not absent, (module, absent)


def test_every_internal_link_and_figure_resolves(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 30  # guide, physics, references, 11 executed examples
    parsed = {path: _parse(path) for path in pages}
    broken = []
    for path, page in parsed.items():
        for src in page.images:
            if not urlsplit(src).scheme and not (path.parent / unquote(src)).is_file():
                broken.append((path.name, src))
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("mailto:"):
                continue  # external: not followed (offline)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append((path.name, href))
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if parts.fragment not in ids:
                    broken.append((path.name, href))
    assert not broken, broken[:20]


def test_the_gallery_shows_the_executed_examples_of_the_three_jobs(site):
    gallery = site / "auto_examples"
    for job in ("neurons", "fitting", "export"):
        examples = sorted((gallery / job).glob("plot_*.html"))
        assert len(examples) >= 3, job
        for example in examples:
            page = _parse(example)
            # every example draws at least one figure, made when the docs were built
            assert any("sphx_glr_" in src for src in page.images), example.name


@pytest.mark.parametrize(
    "page, least",
    [("index.html", 0), ("auto_examples/neurons/plot_hh_neuron.html", 2)],
)
def test_pages_open_in_chromium_with_every_figure_loaded(site, page, least):
    dom = chromium_dom(site / page)
    # docs/_static/figures-loaded.js counts the page's images and those loaded with a size
    body = re.search(r'<body[^>]*data-figures="(\d+)" data-figures-loaded="(\d+)"', dom)
    assert body, dom[:500]
    assert int(body.group(1)) >= least
    assert int(body.group(2)) == int(body.group(1))
    assert "devicekit" in dom

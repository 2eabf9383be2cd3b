"""numba's cache of the kernels is keyed by every source of feeds/, router/ and service/
(router/__init__.py): a constant changed in one file invalidates the kernels of the others."""

from __future__ import annotations

import shutil

import trajet.router as router_package
from trajet.router import _kernels, bounds
from trajet.service import dayview


def test_every_kernel_file_uses_the_sources_locator():
    for dispatcher in (bounds.fill_bounds, _kernels.plan_fields, dayview._fill_times):
        locator = dispatcher._cache._impl._locator
        assert isinstance(locator, router_package._TrajetSources), type(locator)
        assert locator.get_source_stamp() == router_package._sources_digest()


def test_the_stamp_changes_with_a_constant_in_another_file(tmp_path, monkeypatch):
    for package in router_package._PACKAGES:
        shutil.copytree(router_package._ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(router_package, "_ROOT", tmp_path)
    router_package._sources_digest.cache_clear()
    before = router_package._sources_digest()
    workspace = tmp_path / "router" / "workspace.py"
    text = workspace.read_text()
    workspace.write_text(text + "\nEXTRA_COLUMN = 1  # a constant another file's kernel may read\n")
    router_package._sources_digest.cache_clear()
    try:
        assert router_package._sources_digest() != before
    finally:
        monkeypatch.undo()
        router_package._sources_digest.cache_clear()

"""The router: RAPTOR over flat arrays (router/README.md).

Importing the package makes numba's on-disk cache of Trajet's kernels (router/, service/,
feeds/) valid for the sources of all three folders together, not for each kernel's own file:
numba keys a cached function by its file's contents only, and the kernels are compiled with
constants from other files (the Workspace's columns, the Timetable's bits). A change to
router/workspace.py alone once left bounds.py's cached kernel writing the lower bounds into
the wrong column after a `git pull`: answers silently wrong. Any change to a source now
recompiles the kernels once.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from numba.core import caching

_ROOT = Path(__file__).resolve().parent.parent  # the folder holding router/, service/, feeds/
_PACKAGES = ("feeds", "router", "service")


@functools.lru_cache(maxsize=None)
def _sources_digest() -> bytes:
    digest = hashlib.sha256()
    for package in _PACKAGES:
        for path in sorted((_ROOT / package).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.digest()


class _TrajetSources:
    """A numba cache locator for Trajet's kernels: the stamp is the digest of the sources."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent.parent != _ROOT or Path(py_file).parent.name not in _PACKAGES:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return _sources_digest()


def _register() -> None:
    locators = caching.CacheImpl._locator_classes
    if any(issubclass(c, _TrajetSources) for c in locators):
        return
    # numba's own order: a NUMBA_CACHE_DIR first, then beside the source, then the user's cache
    ours = [type(f"Trajet{base.__name__}", (_TrajetSources, base), {})
            for base in (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
                         caching.UserWideCacheLocator)]
    locators[:0] = ours


_register()

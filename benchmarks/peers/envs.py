"""Each peer in its own environment, installed from its registry by the runner (nothing by hand).

Environments live in benchmarks/.peers/NAME (ignored by git) and are made once; delete the
folder to reinstall. Python peers get a virtual environment, Node.js peers a node_modules
folder filled by the machine's npm. The pins are the versions the README's figures are for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

PEERS_DIR = Path(__file__).resolve().parents[1] / ".peers"

PYTHON_PEERS = {
    # pyraptor 1.3.10 imports only with numpy < 2 and needs attrs, which it does not declare
    "pyraptor": ["pyraptor==1.3.10", "numpy<2", "attrs>=21.3"],
    # ferrobus needs an OSM .pbf: osmium writes a small one generated from the stops
    "ferrobus": ["ferrobus==0.2.1", "osmium>=3.7"],
}
NODE_PEERS = {
    "raptor-journey-planner": ["raptor-journey-planner@2.2.3"],
    "minotor": ["minotor@1.0.7"],
}


def _fill_once(folder: Path, packages: list[str], install) -> None:
    stamp = folder / ".installed"
    if stamp.exists() and stamp.read_text() == "\n".join(packages):
        return
    install()
    stamp.write_text("\n".join(packages))


def python_of(name: str) -> Path:
    """The interpreter of a Python peer's own virtual environment, made and filled on first use."""
    folder = PEERS_DIR / name
    python = folder / "bin" / "python"

    def install():
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PYTHON_PEERS[name]], check=True, stdout=sys.stderr)

    _fill_once(folder, PYTHON_PEERS[name], install)
    return python


def node_env(name: str) -> Path:
    """A Node.js peer's own folder with its node_modules, filled by npm on first use."""
    folder = PEERS_DIR / name
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError(f"{name} runs on Node.js: node and npm must be on the PATH")

    def install():
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / "package.json").write_text(json.dumps({"name": f"trajet-peer-{name}", "private": True}))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *NODE_PEERS[name]],
                       cwd=folder, check=True, stdout=sys.stderr)

    _fill_once(folder, NODE_PEERS[name], install)
    return folder

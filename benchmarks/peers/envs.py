"""Each peer in its own environment, installed from its registry by the runner (nothing by hand).

Virtual environments live in benchmarks/.peers/NAME (ignored by git) and are made once;
delete the folder to reinstall.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

PEERS_DIR = Path(__file__).resolve().parents[1] / ".peers"

# pyraptor 1.3.10 imports only with numpy < 2 and needs attrs, which it does not declare
PYTHON_PEERS = {
    "pyraptor": ["pyraptor==1.3.10", "numpy<2", "attrs>=21.3"],
}


def python_of(name: str) -> Path:
    """The interpreter of a peer's own virtual environment, made and filled on first use."""
    folder = PEERS_DIR / name
    python = folder / "bin" / "python"
    stamp = folder / ".installed"
    if not stamp.exists():
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PYTHON_PEERS[name]], check=True,
                       stdout=sys.stderr)
        stamp.write_text("\n".join(PYTHON_PEERS[name]))
    return python

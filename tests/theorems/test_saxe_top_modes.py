"""saxe.top-modes-stable on the instance `verify --instances 500 --seed 0` refuted as 'inconclusive' (index 266):
the check's orbit point had cond(G) = 6.7e3; a well-conditioned point of the same GL(N₂) orbit decides it."""
import json
from pathlib import Path

import numpy as np

from symdyn.theorems.neighbours import _check_saxe_top_modes


def test_the_formerly_inconclusive_instance_is_decided_with_the_top_family_alone_stable():
    d = json.loads((Path(__file__).parent / "data" / "saxe_top_modes_index266.json").read_text())
    inst = {k: np.array(v) if isinstance(v, list) else v for k, v in d["instance"].items()}
    out = _check_saxe_top_modes(inst)
    assert out.passed and out.residual < 1e-10, out.detail
    assert "stable: [(0, 1, 2)]" in out.detail   # N₂ = 3 of r = 4 modes: the top three

"""The documentation's examples (docs/gallery) run, and what they print is right."""
import runpy
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

GALLERY = Path(__file__).resolve().parents[1] / "docs" / "gallery"


@pytest.mark.parametrize("script", sorted(p.name for p in GALLERY.glob("plot_*.py")))
def test_gallery_example_runs(script, capsys):
    ns = runpy.run_path(str(GALLERY / script), run_name="__main__")
    plt.close("all")
    out = capsys.readouterr().out
    if script == "plot_ssl_m1_spheres.py":  # every run ends on the outer sphere r₂ or at the origin
        ends = np.linalg.norm(ns["P"][-1], axis=1)
        assert np.all((np.abs(ends - ns["r2"]) < 1e-6) | (ends < 1e-6))
    if script == "plot_continuation_fold.py":  # the located fold is the closed form τ²/(4ρ)
        assert len(ns["fold"]) == 1 and abs(ns["fold"][0] - ns["tau"] ** 2 / (4 * ns["rho"])) < 1e-8
    if script == "plot_attention_tokens.py":
        assert ns["out"].label in out

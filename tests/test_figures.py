"""The figures of make reproduce: written as PDF and PNG, with captions that state computed values."""
import json

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from symdyn.experiments.figures import M1  # noqa: E402


def test_figures_are_written_in_vector_and_raster_form_with_computed_captions(tmp_path):
    from symdyn.cli import main

    assert main(["reproduce", "figures", "--out-dir", str(tmp_path)]) == 0  # no attention results: 4 figures
    names = ("ssl_m1_spheres", "ssl_m1_basins", "ssl_m2_branches", "attention_tokens")
    paths = [str(p) for p in (tmp_path / "figures").iterdir() if p.suffix in (".pdf", ".png")]
    assert sorted(paths) == sorted(str(tmp_path / "figures" / f"{n}.{e}") for n in names for e in ("pdf", "png"))
    for p in paths:
        head = open(p, "rb").read(8)
        assert head.startswith(b"%PDF" if p.endswith(".pdf") else b"\x89PNG")
    index = {f["name"]: f["caption"] for f in json.loads((tmp_path / "figures" / "figures.json").read_text())["figures"]}
    rho, tau, lam = M1["rho"], M1["tau"], M1["lam"]
    delta = tau ** 2 - 4 * rho * lam
    r1, r2 = (tau - np.sqrt(delta)) / (2 * rho), (tau + np.sqrt(delta)) / (2 * rho)  # ρr² − τr + λ = 0
    assert f"r1 = {r1:.4f}" in index["ssl_m1_spheres"] and f"r2 = {r2:.4f}" in index["ssl_m1_spheres"]
    counts = index["ssl_m1_basins"].split("counts ")[1]
    total = sum(int(v) for v in counts.strip(".{}").replace("'", "").replace(":", ",").split(",")[1::2])
    assert total == 90 * 90
    assert "complete: " in index["ssl_m2_branches"] and "labels it" in index["attention_tokens"]

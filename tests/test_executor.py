"""The executor layer: the same results in this process, in local processes and on a Dask cluster."""
import dataclasses

import numpy as np
import pytest

from symdyn import executor
from symdyn.executor import chunk_ranges, map_chunks, spawn_seeds
from symdyn.theorems.registry import verify

# quick theorems of every section (each instance well under a second)
IDS = ["attn.consensus-eigenvector", "saxe.closed-form", "ssl.m1-spheres", "tian.basin-boundary",
       "oja.naive-rank-collapse"]


def _draw(chunk):
    """Module level (picklable): the first normal of each seed of the chunk."""
    return [float(np.random.default_rng(s).standard_normal()) for s in chunk]


def _without_time(reports):
    out = []
    for r in reports:
        d = dataclasses.asdict(r)
        d.pop("seconds")
        out.append(d)
    return out


def test_map_chunks_returns_results_in_order_whatever_the_workers():
    seeds = spawn_seeds(11, 23)
    chunks = [seeds[a:b] for a, b in chunk_ranges(23, 4)]
    done = []
    serial = map_chunks(_draw, chunks, workers=1, progress=done.append, weights=[len(c) for c in chunks])
    parallel = map_chunks(_draw, chunks, workers=2)
    assert serial == parallel and sum(done) == 23
    # unit i gets child i of the seed, so any other cut gives the same numbers
    assert [x for c in serial for x in c] == _draw(spawn_seeds(11, 23))


def test_map_chunks_refuses_bad_arguments():
    with pytest.raises(ValueError, match="workers: expected a positive integer"):
        map_chunks(_draw, [[]], workers=0)
    with pytest.raises(TypeError, match="scheduler: expected an address string"):
        map_chunks(_draw, [[]], scheduler=3)
    with pytest.raises(ValueError, match="weights: expected 2 weights"):
        map_chunks(_draw, [[], []], weights=[1])


def test_verify_gives_identical_reports_for_one_and_two_workers(tmp_path):
    one = verify(IDS, instances=12, seed=5, progress=False, counterexample_dir=None, workers=1)
    two = verify(IDS, instances=12, seed=5, progress=False, counterexample_dir=None, workers=2)
    assert _without_time(one) == _without_time(two)
    assert all(r.passed + r.not_applicable == 12 for r in one)
    # instance i does not depend on how many instances are drawn (its seed is child i)
    fewer = verify(IDS[:1], instances=3, seed=5, progress=False, counterexample_dir=None, workers=1)
    assert fewer[0].passed + fewer[0].not_applicable == 3


def test_verify_on_a_dask_local_cluster_equals_the_single_process_run(monkeypatch):
    import dask.distributed as distributed  # the [dask] extra: installed by the Makefile
    serial = verify(IDS, instances=8, seed=2, progress=False, counterexample_dir=None, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        with distributed.Client(cl) as client:
            on_client = verify(IDS, instances=8, seed=2, progress=False, counterexample_dir=None, scheduler=client)
        monkeypatch.setenv(executor.SCHEDULER_ENV, cl.scheduler_address)  # the address, from the environment
        on_address = verify(IDS, instances=8, seed=2, progress=False, counterexample_dir=None)
    assert _without_time(on_client) == _without_time(serial) == _without_time(on_address)


def test_an_unreachable_scheduler_is_refused_with_its_address(monkeypatch):
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(ValueError, match=r"scheduler: cannot connect to 'tcp://127.0.0.1:9'"):
        map_chunks(_draw, [[]], scheduler="tcp://127.0.0.1:9")

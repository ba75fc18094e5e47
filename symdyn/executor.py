"""Where independent work runs: this process, every local core, or a Dask cluster — with the same results.

Work is a list of *chunks*, each a picklable argument of one picklable function ``fn(chunk) -> result``.
:func:`map_chunks` returns ``[fn(c) for c in chunks]`` in the chunks' order, whichever backend ran them:

* ``workers=1`` (and no scheduler): a plain loop in this process;
* ``workers=N > 1``: a pool of N local processes (``concurrent.futures.ProcessPoolExecutor``; on POSIX the workers
  are forked, so theorems and fields registered in this process exist in them too);
* ``scheduler="tcp://host:8786"`` (or the environment variable ``SYMDYN_SCHEDULER``, or a
  ``dask.distributed.Client``): the chunks are submitted to that Dask cluster (the optional ``[dask]`` extra;
  functions travel by cloudpickle, so they need not be importable there by name when defined in ``__main__``).

Results are identical for any backend and any number of workers because nothing random depends on them: the caller
cuts the work into chunks whose size does not depend on the worker count, and gives each unit of work its own seed
from ``numpy.random.SeedSequence(seed).spawn(...)`` (:func:`spawn_seeds`), never a stream shared across chunks.
A progress callback is told how many units each completed chunk held.

Examples
--------
>>> map_chunks(sum, [[1, 2], [3], [4, 5, 6]], workers=1)
[3, 3, 15]
>>> [s.spawn_key for s in spawn_seeds(7, 3)]
[(0,), (1,), (2,)]
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validate import positive_int

__all__ = ["map_chunks", "resolve_workers", "scheduler_address", "spawn_seeds", "chunk_ranges", "SCHEDULER_ENV"]

#: the environment variable naming a Dask scheduler address (used when no ``scheduler`` is given)
SCHEDULER_ENV = "SYMDYN_SCHEDULER"
#: how long to wait for a Dask scheduler to answer before refusing the address
CONNECT_TIMEOUT = "30s"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_workers(workers: int | None) -> int:
    """``workers`` checked (a positive int), or every available core for None.

    Examples
    --------
    >>> resolve_workers(2), resolve_workers(None) == available_cores()
    (2, True)
    """
    return available_cores() if workers is None else positive_int(workers, "workers")


def scheduler_address(scheduler: Any = None) -> Any:
    """The Dask scheduler to use: ``scheduler`` (an address or a ``dask.distributed.Client``), else the value of
    ``SYMDYN_SCHEDULER`` when set and not empty, else None (run locally).

    Examples
    --------
    >>> scheduler_address("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> import os
    >>> os.environ.pop(SCHEDULER_ENV, None) and None       # not set: run locally
    >>> scheduler_address() is None
    True
    """
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None and not isinstance(scheduler, str) and not hasattr(scheduler, "submit"):
        raise TypeError(f"scheduler: expected an address string or a dask.distributed.Client, got "
                        f"{type(scheduler).__name__}")
    if isinstance(scheduler, str) and not scheduler.strip():
        raise ValueError("scheduler: empty address")
    return scheduler


def spawn_seeds(seed: int | Sequence[int] | np.random.SeedSequence, n: int) -> list:
    """``n`` independent child seeds of ``seed`` (``SeedSequence(seed).spawn(n)``): unit i always gets child i,
    whichever chunk and worker it runs in.

    Examples
    --------
    >>> import numpy as np
    >>> first = [int(np.random.default_rng(s).integers(100)) for s in spawn_seeds(0, 2)]
    >>> more = [int(np.random.default_rng(s).integers(100)) for s in spawn_seeds(0, 3)]
    >>> more[:2] == first                                   # unit i's stream does not depend on how many there are
    True
    """
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return parent.spawn(n)


def chunk_ranges(n: int, size: int) -> list:
    """[(start, stop)] cutting range(n) into consecutive pieces of ``size`` (the last may be shorter).

    Examples
    --------
    >>> chunk_ranges(7, 3)
    [(0, 3), (3, 6), (6, 7)]
    """
    size = positive_int(size, "size")
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def map_chunks(fn: Callable, chunks: Sequence, *, workers: int | None = 1, scheduler: Any = None,
               progress: Callable[[int], None] | str | None = None, weights: Sequence[int] | None = None,
               unit: str = "unit") -> list:
    """``[fn(c) for c in chunks]`` in order, run in this process, in local processes or on a Dask cluster.

    Parameters
    ----------
    fn : picklable callable of one chunk (a module-level function for local processes)
    chunks : the chunks (picklable)
    workers : local processes (1: this process; None: every available core); ignored with a scheduler
    scheduler : Dask scheduler address or ``Client`` (default: ``SYMDYN_SCHEDULER`` if set, else run locally)
    progress : called with the weight of each chunk as it completes (e.g. ``tqdm.update``), or a description: a
        tqdm bar with it over the total weight, closed at the end (also when a chunk raises)
    weights : units of work per chunk (default 1 each), passed to ``progress``
    unit : the bar's unit (with a description as ``progress``)

    Returns
    -------
    list — the results, in the order of ``chunks``

    Examples
    --------
    >>> map_chunks(sum, [[1, 2], [3], [4, 5, 6]], workers=2)   # two forked processes, results in the chunks' order
    [3, 3, 15]
    """
    chunks = list(chunks)
    weights = [1] * len(chunks) if weights is None else list(weights)
    if len(weights) != len(chunks):
        raise ValueError(f"weights: expected {len(chunks)} weights, got {len(weights)}")
    if isinstance(progress, str):
        from tqdm import tqdm

        with tqdm(total=sum(weights), desc=progress, unit=unit, mininterval=0.5) as bar:
            return map_chunks(fn, chunks, workers=workers, scheduler=scheduler, progress=bar.update, weights=weights)
    scheduler = scheduler_address(scheduler)
    if scheduler is not None:
        return _map_dask(fn, chunks, scheduler, progress, weights)
    workers = min(resolve_workers(workers), max(1, len(chunks)))
    if workers == 1:
        out = []
        for c, w in zip(chunks, weights):
            out.append(fn(c))
            if progress is not None:
                progress(w)
        return out
    from concurrent.futures import ProcessPoolExecutor, as_completed

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    results: list = [None] * len(chunks)
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_limit_blas_threads,
                             initargs=(threads,)) as pool:
        futures = {pool.submit(fn, c): i for i, c in enumerate(chunks)}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if progress is not None:
                progress(weights[i])
    return results


def _limit_blas_threads(threads: int) -> None:
    """Cap the BLAS/OpenMP thread pools of a worker process at ``threads`` (cores / workers): N forked workers that
    each run a pool sized for the whole machine oversubscribe the cores (measured: one registry entry of
    dense SVDs ran 50× slower with 2 workers than alone).  threadpoolctl does it for every loaded library."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def _map_dask(fn, chunks, scheduler, progress, weights) -> list:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ValueError("scheduler: running on a Dask cluster needs dask.distributed (pip install 'symdyn[dask]')") \
            from None
    own = isinstance(scheduler, str)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT) if own else scheduler
    except OSError as exc:
        raise ValueError(f"scheduler: cannot connect to {scheduler!r} ({exc})") from None
    try:
        futures = [client.submit(fn, c, pure=False) for c in chunks]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(chunks)
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = fut.result()
            if progress is not None:
                progress(weights[i])
        return results
    finally:
        if own:
            client.close()

"""Writing la-profiles for many authorities: the comparisons once, the charts
and files in worker processes (:func:`write_profiles`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lacompare.errors import InputError
from lacompare.report._profile_data import ProfileData, prepare_profiles

if TYPE_CHECKING:
    from lacompare.store import Store

__all__ = ["write_profiles"]

_WORKER: dict[str, Any] = {}


def _init_worker(data: ProfileData, out_dir: str, fmt: str) -> None:
    _WORKER.update(data=data, out_dir=out_dir, fmt=fmt)


def _write_one(la_code: str) -> tuple[str, str]:
    from lacompare.charts.export import trusted_charts
    from lacompare.report._profile import profile_document
    from lacompare.report._reports import write_document

    data: ProfileData = _WORKER["data"]
    fmt = _WORKER["fmt"]
    path = Path(_WORKER["out_dir"]) / f"profile-{la_code}.{fmt}"
    # The same chart code drawn for every authority: Altair's schema check (a
    # third of the drawing) once per chart kind in tests is enough.
    with trusted_charts():
        write_document(profile_document(data, la_code), path, fmt)
    return la_code, str(path)


def write_profiles(
    store: Store | None,
    out_dir: str | Path,
    authorities: Sequence[str] | None = None,
    fmt: str = "html",
    *,
    jobs: int = 1,
    data: ProfileData | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[Path]:
    """Write a profile for each authority (default: every one with values).

    The comparisons are computed once for all authorities; charts and files
    are made in ``jobs`` processes.

    Parameters
    ----------
    store
        An open store; not read (may be None) when ``data`` is given.
    out_dir
        The folder for the files (``profile-<la_code>.<fmt>``).
    authorities
        Names or codes (default: every authority ranked on a headline measure).
    fmt
        ``html``, ``pdf`` or ``xlsx``.
    jobs
        Processes that draw the charts and write the files.
    data
        Comparisons already made by :func:`prepare_profiles`.
    progress
        Called with (files written, files to write) after each file.
    **options
        :func:`prepare_profiles`'s options, when ``data`` is not given.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        if store is None:
            raise InputError("write_profiles needs a store or prepared data")
        data = prepare_profiles(store, **options)
    if authorities is None:
        codes = sorted(
            set(
                data.latest.loc[
                    data.latest["value"].notna() & data.latest["rank"].notna(),
                    "la_code",
                ]
            )
        )
    else:
        codes = [data.resolve(a) for a in authorities]
    done: dict[str, str] = {}
    if jobs <= 1:
        _init_worker(data, str(out), fmt)
        results: Any = map(_write_one, codes)
        pool = None
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Spawned, not forked: a fork copies DuckDB's and the web app's threads
        # mid-lock, and the child can wait on a lock no thread will release.
        pool = ProcessPoolExecutor(
            jobs,
            initializer=_init_worker,
            initargs=(data, str(out), fmt),
            mp_context=multiprocessing.get_context("spawn"),
        )
        # Small chunks: the bar moves, and one slow profile holds up no more.
        results = pool.map(_write_one, codes, chunksize=2)
    try:
        for code, path in results:
            done[code] = path
            if progress is not None:
                progress(len(done), len(codes))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return [Path(done[c]) for c in codes]

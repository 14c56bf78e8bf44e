"""A build prepares its loads ahead in a worker process (lacompare.build._prepare):
what it stores, what it says of each file and how a file fails are the same as a
build that does every step in the store's process."""

from __future__ import annotations

import re

import xlsxwriter

from lacompare.build import _prepare, build_store
from lacompare.build._files import read_known_files
from lacompare.build._timings import timing_lines
from lacompare.build._worker import connect_for_jobs
from lacompare.store import open_store

NAMES = ["Leeds", "York", "Bradford", "Wakefield", "Kirklees", "Calderdale"]


def _folder(tmp_path, bad: bool = False, neighbours: str | None = None):
    """Five CSV loads (one revising another's figure), a workbook with a loaded
    sheet and a sheet nobody knows, optionally a file naming no authority, and
    optionally a neighbour set (``neighbours``: its CSV text)."""
    folder = tmp_path / "data"
    folder.mkdir()
    known = []
    for i in range(5):
        rows = [f"{n},{2020 + i},{10 * j + i}" for j, n in enumerate(NAMES)]
        if i == 3:
            rows.append(f"Leeds,{2020 + 2},999")  # revises figures_2's Leeds
            rows.append("England,2023,77")
        (folder / f"figures_{i}.csv").write_text(
            "area_name,year,value\n" + "\n".join(rows) + "\n"
        )
        known.append(f'[[load]]\npath = "figures_{i}.csv"\nmin_authorities = 5\n')
    book = xlsxwriter.Workbook(str(folder / "book.xlsx"))
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, ["la", "year", "rate"])
    for j, n in enumerate(NAMES):
        sheet.write_row(j + 1, 0, [n, 2024, 1.5 * j])
    book.add_worksheet("Notes").write(0, 0, "read me")
    book.close()
    known.append('[[load]]\npath = "book.xlsx"\nsheet = "Data"\nmin_authorities = 5\n')
    if bad:
        rows = [f"{n},2024,5" for n in NAMES] + ["Nowhere Town,2024,5"]
        (folder / "bad.csv").write_text("area_name,year,value\n" + "\n".join(rows))
        known.append('[[load]]\npath = "bad.csv"\nmin_authorities = 1\n')
    if neighbours is not None:
        (folder / "sn.csv").write_text(neighbours)
        known.append(
            '[[neighbours]]\npath = "sn.csv"\nset_id = "mine"\nvalid_for = "2024-25"\n'
        )
    toml = tmp_path / "known.toml"
    toml.write_text("\n".join(known))
    return folder, read_known_files(toml)


def _untimed(text: str) -> str:
    return re.sub(r"loaded [\d-]+ [\d:]+", "loaded (time)", text)


def _build(folder, known, path, parallel):
    with open_store(path) as store:
        result = build_store(store, folder, known=known, steps=False, parallel=parallel)
        stored = store.con.execute(
            "SELECT la_code, measure, period, breakdown, value, missing_reason, label, "
            "raw, source_id, source_row, source_column FROM observations ORDER BY ALL"
        ).fetchall()
        totals = store.con.execute(
            "SELECT area_code, measure, period, value, source_row, check_result "
            "FROM totals ORDER BY ALL"
        ).fetchall()
        sets = store.con.execute(
            "SELECT set_id, la_code, neighbour_code, rank FROM neighbours ORDER BY ALL"
        ).fetchall()
        logged = [
            (sid, kind, _untimed(text))
            for sid, kind, text in store.con.execute(
                "SELECT source_id, kind, message FROM load_issues ORDER BY ALL"
            ).fetchall()
        ]
    outcomes = [
        (f.id, f.status, f.detail, f.observations, [_untimed(r) for r in f.revisions])
        for f in result.files
    ]
    return result, (stored, totals, logged, outcomes, sets)


def test_a_build_prepared_in_a_worker_stores_what_a_serial_one_does(tmp_path):
    folder, known = _folder(tmp_path)
    serial, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    ahead, got = _build(folder, known, str(tmp_path / "b.duckdb"), True)
    assert got == expected
    stored, totals, _, outcomes, _ = got
    assert len(stored) == 5 * 6 + 6 and totals
    assert ("book.xlsx[Notes]", "unknown") in [(o[0], o[1]) for o in outcomes]
    assert [r for f in ahead.files for r in f.revisions][0].startswith(
        "1 value (1 different) also given by source"
    )
    # The worker did the work: its stages are in the loads' timings.
    assert all(
        {"reading", "writing"} <= set(f.timings) for f in ahead.of_status("loaded")
    )


def test_a_file_that_fails_in_the_worker_fails_as_it_would_alone(tmp_path):
    folder, known = _folder(tmp_path, bad=True)
    serial, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    ahead, got = _build(folder, known, str(tmp_path / "b.duckdb"), True)
    assert got == expected
    (failed,) = ahead.of_status("failed")
    assert failed.id == "bad.csv" and "'Nowhere Town' is not a known" in failed.detail
    assert "row 8, column area_name:" in failed.detail


def test_a_worker_that_cannot_start_or_dies_leaves_the_build_serial(
    tmp_path, monkeypatch
):
    folder, known = _folder(tmp_path)
    _, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    monkeypatch.setattr(_prepare.sys, "executable", str(tmp_path / "no-python"))
    _, got = _build(folder, known, str(tmp_path / "b.duckdb"), True)
    assert got == expected
    # A worker that exits at once: each take finds the pipe closed.
    monkeypatch.setattr(_prepare.sys, "executable", "/bin/true")
    result, got = _build(folder, known, str(tmp_path / "c.duckdb"), True)
    assert got == expected
    (said,) = [i for i in result.issues if i.kind == "worker-stopped"]
    assert "the loads after it were read in the store's process" in str(said)


def test_two_files_known_as_one_entry_each_get_their_own_load(tmp_path):
    # Both found by the known entry's name; the first is the store's own load
    # (made while the worker starts), the second the worker's: each must be
    # given its own file's result.
    folder, known = _folder(tmp_path)
    for sub, leeds in (("a", 10), ("b", 11)):
        (folder / sub).mkdir()
        rows = [f"{n},2030,{leeds if n == 'Leeds' else 5}" for n in NAMES]
        (folder / sub / "figures_0.csv").write_text(
            "area_name,year,value\n" + "\n".join(rows) + "\n"
        )
    serial, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    ahead, got = _build(folder, known, str(tmp_path / "b.duckdb"), True)
    assert got == expected
    ids = [f.relative for f in ahead.of_status("loaded")]
    assert ids[:2] == ["a/figures_0.csv", "b/figures_0.csv"]
    assert any(f.prepared for f in ahead.of_status("loaded"))


def test_a_store_that_would_wait_prepares_later_loads_itself(tmp_path, monkeypatch):
    # One job in flight: the worker is always behind, so the store prepares the
    # loads not yet sent to it (and keeps their results for their turn) rather
    # than wait, a file's failure included.
    folder, known = _folder(tmp_path, bad=True)
    _, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    monkeypatch.setattr(_prepare, "IN_FLIGHT", 1)
    ahead, got = _build(folder, known, str(tmp_path / "b.duckdb"), True)
    assert got == expected
    assert ahead.store_prepared > 0 and ahead.store_preparing > 0
    assert "by the store itself" in "\n".join(timing_lines(ahead))
    (failed,) = ahead.of_status("failed")
    assert "'Nowhere Town' is not a known" in failed.detail


def test_one_file_known_twice_gives_each_entry_its_own_load(tmp_path, monkeypatch):
    # figures_4.csv is also loaded under another measure's name: one file, two
    # entries of one sheet. Each must get its own result, whether the worker or
    # the store prepared it (a key per file and sheet gave both the second).
    folder, known = _folder(tmp_path)
    toml = tmp_path / "known.toml"
    toml.write_text(
        toml.read_text() + '[[load]]\npath = "figures_4.csv"\nmin_authorities = 5\n'
        'options = { measures = { value = { measure = "other" } } }\n'
    )
    known = read_known_files(toml)
    _, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    assert {r[1] for r in expected[0]} >= {"value", "other"}
    for in_flight in (1, _prepare.IN_FLIGHT):
        monkeypatch.setattr(_prepare, "IN_FLIGHT", in_flight)
        _, got = _build(folder, known, str(tmp_path / f"b{in_flight}.duckdb"), True)
        assert got == expected


NEIGHBOURS = "la_name,rank,neighbour_name\n" + "".join(
    f"{a},{r},{b}\n"
    for a in NAMES[:3]
    for r, b in enumerate([n for n in NAMES if n != a][:2], 1)
)


def test_a_neighbour_set_read_in_the_worker_is_the_one_read_alone(tmp_path):
    folder, known = _folder(tmp_path, neighbours=NEIGHBOURS)
    _, expected = _build(folder, known, str(tmp_path / "a.duckdb"), False)
    ahead, got = _build(folder, known, str(tmp_path / "b.duckdb"), True)
    assert got == expected
    assert len(got[4]) == 6 and ahead.of_status("neighbours")
    # A bad row fails the set with the same words either way.
    bad = tmp_path / "bad"
    bad.mkdir()
    folder, known = _folder(bad, neighbours=NEIGHBOURS + "York,3,Atlantis\n")
    _, expected = _build(folder, known, str(bad / "a.duckdb"), False)
    ahead, got = _build(folder, known, str(bad / "b.duckdb"), True)
    assert got == expected
    (failed,) = ahead.of_status("failed")
    assert "'Atlantis' is not an authority" in failed.detail


def test_few_loads_are_not_worth_a_worker():
    assert _prepare.worker_enabled(3, None) is False
    assert _prepare.worker_enabled(81, None) is True
    assert _prepare.worker_enabled(81, False) is False


def test_the_store_s_own_duckdb_for_jobs_prints_no_progress_bar(tmp_path):
    # In the store's process a progress bar would land in the user's output.
    con = connect_for_jobs(str(tmp_path), "spill-store", threads=1)
    settings = con.execute(
        "SELECT current_setting('enable_progress_bar'), current_setting('threads')"
    ).fetchall()[0]
    assert settings == (False, 1)


def test_a_known_files_list_edited_since_it_was_read_is_read_again(tmp_path):
    toml = tmp_path / "known.toml"
    toml.write_text('[[load]]\npath = "a.csv"\n')
    assert [e.path for e in read_known_files(toml).loads] == ["a.csv"]
    toml.write_text('[[load]]\npath = "a.csv"\n\n[[load]]\npath = "bb.csv"\n')
    assert [e.path for e in read_known_files(toml).loads] == ["a.csv", "bb.csv"]


def test_a_killed_build_s_folder_is_removed_by_the_next_build(tmp_path, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    import tempfile

    # A build's process killed outright (SIGKILL) cannot delete its working
    # folder; the next build does, and leaves a living process's folder alone.
    temp = tmp_path / "tmp"
    temp.mkdir()
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, tempfile; from lacompare.build._prepare import "
            "LoadPreparer; p = LoadPreparer(True); assert p._start(); "
            "os.kill(os.getpid(), signal.SIGKILL)",
        ],
        env={**os.environ, "TMPDIR": str(temp)},
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL
    (left,) = temp.glob(_prepare.FOLDER_PREFIX + "*")
    assert (left / _prepare.OWNER_FILE).exists()
    living = temp / (_prepare.FOLDER_PREFIX + "living")
    living.mkdir()
    (living / _prepare.OWNER_FILE).write_text(_prepare.owner_text(os.getppid()))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    folder, known = _folder(tmp_path)
    result, _ = _build(folder, known, str(tmp_path / "a.duckdb"), True)
    assert result.of_status("loaded")
    assert [p.name for p in temp.iterdir()] == [living.name]


def test_a_folder_not_provably_abandoned_is_left_alone(tmp_path):
    import os

    ours = _prepare.owner_text(0).rsplit(" ", 1)[0]
    host, namespace = ours.rsplit(" ", 1)
    owners = {
        "huge-pid": f"{ours} 99999999999999999999",  # os.kill: OverflowError
        "garbage": "not an owner",
        "empty": "",
        "zero": f"{ours} 0",
        "negative": f"{ours} -5",
        "other-host": f"elsewhere {namespace} 999999999",
        "other-namespace": f"{host} pid:[1] 999999999",
    }
    for name, text in owners.items():
        folder = tmp_path / (_prepare.FOLDER_PREFIX + name)
        folder.mkdir()
        (folder / _prepare.OWNER_FILE).write_text(text)
    gone = tmp_path / (_prepare.FOLDER_PREFIX + "gone")
    gone.mkdir()
    (gone / _prepare.OWNER_FILE).write_text(f"{ours} 999999999")
    # A link named like a folder, to an abandoned folder elsewhere: not followed.
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / _prepare.OWNER_FILE).write_text(f"{ours} 999999999")
    os.symlink(target, tmp_path / (_prepare.FOLDER_PREFIX + "link"))
    assert _prepare.remove_abandoned_folders(tmp_path) == [gone]
    left = sorted(
        p.name.removeprefix(_prepare.FOLDER_PREFIX) for p in tmp_path.iterdir()
    )
    assert left == sorted([*owners, "link", "elsewhere"])
    assert (target / _prepare.OWNER_FILE).exists()

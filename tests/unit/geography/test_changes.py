"""Boundary changes as data: consistent with the registry, policies checked."""

from __future__ import annotations

import pytest

from lacompare.errors import InputError
from lacompare.geography import read_authorities
from lacompare.geography.changes import (
    KINDS,
    POLICIES,
    change_of,
    check_policy,
    read_changes,
)


def test_every_registry_succession_since_2019_is_a_change():
    """Each predecessor → successor link of the registry (2019 on) is in changes.csv,
    and each change's codes are registry authorities (or former codes of one)."""
    reg = read_authorities()
    links = set()
    for row in reg.itertuples(index=False):
        if row.successors and row.valid_to and row.valid_to >= "2019-01-01":
            for succ in row.successors.split(";"):
                links.add((row.la_code, succ))
    changes = read_changes()
    covered = {(p, s) for c in changes for p in c.predecessors for s in c.successors}
    assert links <= covered, sorted(links - covered)
    known = set(reg["la_code"]) | {
        f for fs in reg["former_codes"] for f in fs.split(";") if f
    }
    for c in changes:
        assert set(c.codes) <= known, c.change_id
        assert c.kind in KINDS and c.sources


def test_kinds_follow_the_number_of_authorities():
    for c in read_changes():
        n, m = len(c.predecessors), len(c.successors)
        expected = {
            (1, 1): ("recode", "boundary"),
            (1, 2): ("split",),
            (3, 2): ("merge-split",),
        }[(n, m)]
        assert c.kind in expected, c.change_id
        # Only a recode of the same area chains; boundary tweaks move some streets.
        assert c.same_area == (c.kind != "boundary")


def test_change_of_an_authority():
    assert [c.change_id for c in change_of("E06000064")] == ["cumbria-2023"]
    assert change_of("E10000021")[0].successors == ("E06000061", "E06000062")


def test_policy_names():
    assert POLICIES == ("keep", "aggregate", "flag")
    with pytest.raises(InputError, match="keep, aggregate or flag"):
        check_policy("sum")

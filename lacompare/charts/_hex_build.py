"""How ``data/hex_layout.csv`` was made: centroids → even spacing → hex grid → tidy-up.

Not imported at run time. Run it only to rebuild the layout after a reorganisation:

    PYTHONPATH=. python3 -m lacompare.charts._hex_build ../shared/data/la_lookup/\
mysociety_uk_local_authorities_current.csv

Steps (each deterministic, so the same inputs give the same file):

1. One point per current authority in the lacompare registry, at the latitude and
   longitude mySociety publishes for it (``uk_local_authorities.csv``), projected to an
   equirectangular plane around 52.5°N.
2. A proximity graph from the Delaunay triangulation of those points, without the long
   edges that cross the sea or the Wash; it stands in for "shares a boundary".
3. A spring layout: graph edges pull towards one hex width, every pair closer than one
   hex width pushes apart. Dense London spreads out and large rural counties close up,
   so every authority ends up needing the same area: one hex.
4. Each point goes to its own hex cell (odd-r offset grid) by minimum-cost assignment.
5. A local search swaps and moves hexes to keep graph neighbours adjacent, regions
   together and the outline compact, while staying near step 3's positions.

The result is checked by ``tests/unit/charts/test_charts_hex_layout.py`` against the
Open Innovations (ODI Leeds) upper-tier layout, which is never read here.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: Odd-r offset neighbours: (dq, dr) for even rows and for odd rows.
_EVEN_ROW = ((1, 0), (-1, 0), (-1, 1), (0, 1), (-1, -1), (0, -1))
_ODD_ROW = ((1, 0), (-1, 0), (0, 1), (1, 1), (0, -1), (1, -1))

# Islands and the Welsh border leave Delaunay edges that do not stand for a shared
# boundary; an edge longer than this many times the local scale is dropped.
_LONG_EDGE = 2.2
_MAX_EDGE_KM = 120.0

#: Islands joined only to the authorities their ferries and bridges serve.
_ISLAND_LINKS = {
    "E06000053": ("E06000052",),  # Isles of Scilly - Cornwall
    "E06000046": ("E10000014", "E06000045", "E06000044"),  # Isle of Wight - Hampshire,
    # Southampton, Portsmouth
}


def hex_neighbours(q: int, r: int) -> list[tuple[int, int]]:
    """The six cells next to (q, r) on an odd-r grid."""
    steps = _ODD_ROW if r % 2 else _EVEN_ROW
    return [(q + dq, r + dr) for dq, dr in steps]


def hex_centre(q: int, r: int) -> tuple[float, float]:
    """Centre of cell (q, r), adjacent centres one unit apart; r grows northwards."""
    return q + 0.5 * (r % 2), r * math.sqrt(3) / 2


def read_points(mysociety_csv: Path, lookup_csv: Path) -> pd.DataFrame:
    """Registry authorities with projected centroids (x east, y north, km).

    mySociety's points for shire counties can be far from the county (Lancashire's is
    in the East Midlands), so every authority is placed at the area-weighted mean of
    its lower-tier districts' points, districts taken from the ONS LTLA→UTLA lookup.
    """
    from lacompare.geography import read_authorities

    reg = read_authorities()
    cur = reg[reg["valid_to"] == ""][["la_code", "former_codes", "la_name", "region"]]
    ms = pd.read_csv(mysociety_csv, dtype={"gss-code": str})
    ms = ms.dropna(subset=["gss-code", "lat", "long", "area"])
    ms = ms.drop_duplicates("gss-code").set_index("gss-code")
    lookup = pd.read_csv(lookup_csv, dtype=str, encoding="utf-8-sig")
    districts = lookup.groupby("UTLA23CD")["LTLA23CD"].apply(list)
    rows = []
    for rec in cur.itertuples(index=False):
        # Barnsley and Sheffield took new codes in 2025 after a small boundary change;
        # the 2023 lookup and mySociety list them under the old ones.
        codes = [rec.la_code, *[c for c in rec.former_codes.split(";") if c]]
        utla = next((c for c in codes if c in districts.index), None)
        if utla is None:
            raise SystemExit(f"{rec.la_code} {rec.la_name} is not in the lookup")
        parts = ms.loc[districts[utla], ["lat", "long", "area"]]
        lat = float(np.average(parts["lat"], weights=parts["area"]))
        lon = float(np.average(parts["long"], weights=parts["area"]))
        rows.append((rec.la_code, rec.la_name, rec.region, lat, lon))
    pts = pd.DataFrame(rows, columns=["la_code", "la_name", "region", "lat", "lon"])
    pts["x"] = (pts["lon"] + 1.5) * 111.32 * math.cos(math.radians(52.5))
    pts["y"] = (pts["lat"] - 52.5) * 110.57
    return pts


def proximity_edges(
    xy: np.ndarray, codes: list[str] | None = None
) -> set[tuple[int, int]]:
    """Delaunay edges that plausibly stand for a shared boundary.

    Dropped: edges longer than ``_LONG_EDGE`` times either end's median edge (London's
    are short), longer than ``_MAX_EDGE_KM`` (hull edges across the sea), and any edge
    of an island authority other than those in ``_ISLAND_LINKS``.
    """
    from scipy.spatial import Delaunay

    tri = Delaunay(xy)
    edges: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for a in range(3):
            i, j = sorted((int(simplex[a]), int(simplex[(a + 1) % 3])))
            edges.add((i, j))
    length = {e: float(np.hypot(*(xy[e[0]] - xy[e[1]]))) for e in edges}
    per_point: dict[int, list[float]] = {}
    for (i, j), d in length.items():
        per_point.setdefault(i, []).append(d)
        per_point.setdefault(j, []).append(d)
    scale = {i: float(np.median(v)) for i, v in per_point.items()}
    keep = {
        (i, j)
        for (i, j), d in length.items()
        if d <= min(_MAX_EDGE_KM, _LONG_EDGE * max(scale[i], scale[j]))
    }
    if codes is not None:
        index = {c: k for k, c in enumerate(codes)}
        islands = {index[c] for c in _ISLAND_LINKS if c in index}
        keep = {e for e in keep if not (set(e) & islands)}
        for island, links in _ISLAND_LINKS.items():
            for other in links:
                if island in index and other in index:
                    i, j = sorted((index[island], index[other]))
                    keep.add((i, j))
    return keep


def fisheye(
    xy: np.ndarray, lenses: tuple[tuple[float, float, float, float, float], ...]
) -> np.ndarray:
    """Magnify dense cities, keeping every direction from the city centre.

    Each lens (centre x, y, core radius r0 km, magnification m, outer radius R km)
    multiplies distances from the centre by m inside r0, then stretches linearly
    from m*r0 at r0 back to R at R; beyond R nothing moves. The city grows, the ring
    around it is compressed only gently, and which borough lies north of which is
    kept, so the spring layout has less to do.
    """
    out = xy.astype(float).copy()
    for cx, cy, r0, m, big_r in lenses:
        d = out - np.array([cx, cy])
        r = np.hypot(d[:, 0], d[:, 1])
        new_r = np.where(
            r < r0,
            r * m,
            np.where(r < big_r, m * r0 + (r - r0) * (big_r - m * r0) / (big_r - r0), r),
        )
        factor = np.divide(new_r, r, out=np.ones_like(r), where=r > 0)
        out = np.array([cx, cy]) + d * factor[:, None]
    return out


def spring_layout(
    xy: np.ndarray, edges: set[tuple[int, int]], iterations: int = 3000
) -> np.ndarray:
    """Move points until graph neighbours sit ~1 apart and no pair is closer than 1."""
    n = len(xy)
    # Start at the true shape, scaled so the median edge is one hex width.
    e = np.array(sorted(edges))
    d0 = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    pos = (xy - xy.mean(axis=0)) / np.median(d0)
    anchor = pos.copy()
    for it in range(iterations):
        step = 0.1 * (1 - it / iterations) + 0.01
        force = np.zeros_like(pos)
        # Springs along the proximity graph towards length 1.05.
        vec = pos[e[:, 1]] - pos[e[:, 0]]
        dist = np.hypot(*vec.T) + 1e-9
        f = ((dist - 1.05) / dist)[:, None] * vec
        np.add.at(force, e[:, 0], f)
        np.add.at(force, e[:, 1], -f)
        # Repulsion between any two points closer than one hex width.
        diff = pos[:, None, :] - pos[None, :, :]
        dd = np.hypot(diff[..., 0], diff[..., 1]) + np.eye(n)
        push = np.where(dd < 1.0, (1.0 - dd) / dd, 0.0)
        np.fill_diagonal(push, 0.0)
        force += 2.0 * (push[..., None] * diff).sum(axis=1)
        # A weak pull to the true shape keeps the country recognisable.
        force += ANCHOR * (anchor - pos)
        pos += step * force
    return pos


def assign_cells(pos: np.ndarray) -> list[tuple[int, int]]:
    """Give each point its own odd-r cell, minimising total squared distance."""
    from scipy.optimize import linear_sum_assignment

    ys = pos[:, 1] / (math.sqrt(3) / 2)
    r_lo, r_hi = math.floor(ys.min()) - 2, math.ceil(ys.max()) + 2
    q_lo, q_hi = math.floor(pos[:, 0].min()) - 2, math.ceil(pos[:, 0].max()) + 2
    # Keep row parity meaningful: shift so the lowest row is 0 later.
    cells = [(q, r) for r in range(r_lo, r_hi + 1) for q in range(q_lo, q_hi + 1)]
    centres = np.array([hex_centre(q, r) for q, r in cells])
    cost = ((pos[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    out: list[tuple[int, int]] = [(0, 0)] * len(pos)
    for i, c in zip(rows, cols, strict=True):
        out[i] = cells[c]
    return out


#: Fisheye lenses (centre x, y in km from 1.5°W 52.5°N; core radius km, magnification,
#: outer radius km):
#: London's 33 boroughs fill ~1,600 km², a hundredth of England, but need a fifth of
#: the hexes.
LENSES: tuple[tuple[float, float, float, float, float], ...] = (
    (93.0, -109.8, 22.0, 3.2, 250.0),  # Charing Cross
)
#: Pull of each point towards its (magnified) true position in the spring layout.
ANCHOR = 0.02

#: Corrections made by looking at the drawn map (code, q, r; applied in order, each
#: swapping with the cell's occupant): Cumberland north of Westmorland and Furness;
#: Sefton north of Liverpool, Knowsley east of it, Wirral across the Mersey.
#: They refer to the cells this script produces; check the map after any rebuild.
HAND_MOVES: tuple[tuple[str, int, int], ...] = (
    ("E06000063", 3, 16),  # Cumberland <-> Westmorland and Furness
    ("E08000014", 1, 14),  # Sefton <-> Liverpool
    ("E08000012", 0, 13),  # Liverpool <-> Knowsley
    ("E08000015", 0, 12),  # Wirral to the empty cell south-west of Liverpool
)

# Weights of the local search's score (see _Layout); chosen by trying a few values and
# looking at the maps: keeping true neighbours matters most, then regions, then shape.
W_EDGE, W_REGION, W_TOUCH, W_DRIFT = 3.0, 2.0, 0.5, 0.5


class _Layout:
    """Cells of all authorities with a score whose change is cheap to evaluate.

    Score = W_EDGE x graph edges kept adjacent + W_REGION x adjacent pairs in the same
    region + W_TOUCH x adjacent pairs (compact outline) - W_DRIFT x distance from the
    spring position.
    """

    def __init__(
        self,
        cells: list[tuple[int, int]],
        edges: set[tuple[int, int]],
        region: list[str],
        pos: np.ndarray,
    ) -> None:
        self.cell = list(cells)
        self.at = {c: i for i, c in enumerate(self.cell)}
        self.region = region
        self.pos = pos
        self.graph: dict[int, list[int]] = {i: [] for i in range(len(cells))}
        for i, j in edges:
            self.graph[i].append(j)
            self.graph[j].append(i)

    def _terms(self, group: set[int]) -> float:
        """Every score term that involves a member of ``group``."""
        total = 0.0
        for i in group:
            near = hex_neighbours(*self.cell[i])
            for j in self.graph[i]:
                if self.cell[j] in near:
                    total += W_EDGE if j not in group or j > i else 0.0
            for nb in near:
                k = self.at.get(nb)
                if k is None or (k in group and k < i):
                    continue
                total += W_TOUCH + W_REGION * (self.region[i] == self.region[k])
            x, y = hex_centre(*self.cell[i])
            total -= W_DRIFT * math.hypot(x - self.pos[i][0], y - self.pos[i][1])
        return total

    def move(self, i: int, c: tuple[int, int]) -> float:
        """Put i in cell c (swapping with its occupant); return the change in score."""
        j = self.at.get(c)
        group = {i} if j is None else {i, j}
        before = self._terms(group)
        self._place(i, j, c)
        return self._terms(group) - before

    def _place(self, i: int, j: int | None, c: tuple[int, int]) -> None:
        old = self.cell[i]
        del self.at[old]
        if j is not None:
            self.cell[j] = old
            self.at[old] = j
        self.cell[i] = c
        self.at[c] = i


def improve(
    cells: list[tuple[int, int]],
    edges: set[tuple[int, int]],
    region: list[str],
    pos: np.ndarray,
    steps: int = 300_000,
    seed: int = 20251123,
) -> list[tuple[int, int]]:
    """Simulated annealing over swaps and moves into cells next to graph neighbours."""
    rng = np.random.default_rng(seed)
    lay = _Layout(cells, edges, region, pos)
    n = len(cells)
    best, best_cells, current = 0.0, list(lay.cell), 0.0
    for step in range(steps):
        temp = 2.0 * (1 - step / steps) + 1e-3
        i = int(rng.integers(n))
        nbrs = lay.graph[i]
        if not nbrs:
            continue
        anchor = lay.cell[nbrs[int(rng.integers(len(nbrs)))]]
        c = hex_neighbours(*anchor)[int(rng.integers(6))]
        if c == lay.cell[i]:
            continue
        old = lay.cell[i]
        delta = lay.move(i, c)
        if delta >= 0 or rng.random() < math.exp(delta / temp):
            current += delta
            if current > best + 1e-9:
                best, best_cells = current, list(lay.cell)
        else:
            lay.move(i, old)  # undo: i goes back, the displaced authority too
    return best_cells


def build(mysociety_csv: Path, lookup_csv: Path) -> pd.DataFrame:
    """The layout frame: la_code, la_name, q, r (lowest row 0, western column 0)."""
    pts = read_points(mysociety_csv, lookup_csv)
    xy = pts[["x", "y"]].to_numpy()
    edges = proximity_edges(xy, pts["la_code"].tolist())
    pos = spring_layout(fisheye(xy, LENSES), edges)
    cells = assign_cells(pos)
    cells = improve(cells, edges, pts["region"].tolist(), pos)
    q = np.array([c[0] for c in cells])
    r = np.array([c[1] for c in cells])
    # Shift to a non-negative grid; an even row shift keeps the odd-r parity intact.
    r_shift = r.min() - (r.min() % 2)
    out = pts[["la_code", "la_name"]].copy()
    out["q"] = q - q.min()
    out["r"] = r - r_shift
    out = hand_moves(out, HAND_MOVES)
    return out.sort_values(["r", "q"], ascending=[False, True]).reset_index(drop=True)


def hand_moves(
    layout: pd.DataFrame, moves: tuple[tuple[str, int, int], ...]
) -> pd.DataFrame:
    """Move authorities to given cells in turn, swapping with any occupant."""
    out = layout.copy()
    for code, q, r in moves:
        i = out.index[out["la_code"] == code][0]
        occupant = out.index[(out["q"] == q) & (out["r"] == r)]
        if len(occupant):
            out.loc[occupant[0], ["q", "r"]] = out.loc[i, ["q", "r"]].to_numpy()
        out.loc[i, ["q", "r"]] = [q, r]
    return out


_ABOUT = (
    "lacompare hex layout of England's 153 upper-tier local authorities with "
    "children's services duties (current boundaries: BCP and Dorset 2019, "
    "Buckinghamshire 2020, North and West Northamptonshire 2021, Cumberland, "
    "Westmorland and Furness, North Yorkshire and Somerset unitaries 2023; Barnsley "
    "and Sheffield under their 2025 codes). One hex per authority; City of London "
    "and Isles of Scilly have their own.",
    "Made by lacompare/charts/_hex_build.py, written by the lacompare developers: "
    "authority centroids (area-weighted means of district points: lat/long of "
    "mySociety uk_local_authority_names_and_codes, data/uk_local_authorities.csv, "
    "commit 67ef8b11, MIT licence; districts per the ONS LTLA-UTLA April 2023 "
    "lookup, OGL) -> Delaunay proximity graph -> London magnified -> spring layout "
    "to equal spacing -> one cell each by minimum-cost assignment -> local search "
    "keeping graph neighbours adjacent and regions together -> four hand "
    "corrections (Cumbria, Merseyside) listed in the script. Names and codes from "
    "lacompare/geography/data/authorities.csv.",
    "Checked, not copied, against the Open Innovations (ODI Leeds) upper-tier "
    "HexJSON (odileeds/hexmaps, MIT) by tests/unit/charts/test_charts_hex_layout.py.",
    "Columns: la_code = ONS GSS code; la_name = registry name; q = column, r = row "
    "of an odd-r offset hex grid (pointy-top hexes; odd rows shifted half a hex "
    "east; r = 0 is the southernmost row, q = 0 the western column); abbr = the "
    "three-letter label printed on the hex.",
    "abbr is curated by hand by the lacompare developers, not derived: no official "
    "short form exists (ONS publishes codes, DfE three-digit numbers). Made from the "
    "registry name: its first letters (LDS Leeds, YOR York), or the initials of its "
    "words (CWC Cheshire West and Chester, ERY East Riding of Yorkshire), or the "
    "short forms councils use themselves (BAN for BaNES, Bath and North East "
    "Somerset; BCP; IOW; HUL for Hull), changed where two would clash (BNT Barnet, "
    "BNS Barnsley). Unique; a rebuild keeps it (main() refuses an authority with "
    "none).",
)


def _header() -> str:
    import textwrap

    lines = []
    for paragraph in _ABOUT:
        lines += textwrap.wrap(paragraph, width=86, break_on_hyphens=False)
    return "".join(f"# {line}\n" for line in lines)


HEADER = _header()


def rewrite_header(target: Path) -> None:
    """Replace the ``# `` lines of an existing layout file with :data:`HEADER`."""
    body = [
        ln
        for ln in target.read_text(encoding="utf-8").splitlines(True)
        if not ln.startswith("# ")
    ]
    target.write_text(HEADER + "".join(body), encoding="utf-8")


def main(argv: list[str]) -> None:
    """Write ``lacompare/charts/data/hex_layout.csv`` from the mySociety file given."""
    layout = build(Path(argv[0]), Path(argv[1]))
    target = Path(__file__).with_name("data") / "hex_layout.csv"
    from lacompare.cells import write_csv_safe

    # The curated labels are kept from the file being replaced.
    body = "".join(
        ln
        for ln in target.read_text(encoding="utf-8").splitlines(True)
        if not ln.startswith("# ")
    )
    import io

    old = pd.read_csv(io.StringIO(body), dtype=str).set_index("la_code")["abbr"]
    layout["abbr"] = layout["la_code"].map(old)
    if layout["abbr"].isna().any():
        new = ", ".join(layout.loc[layout["abbr"].isna(), "la_name"])
        raise SystemExit(f"no abbr for {new}: add one to {target} by hand")

    target.write_text(HEADER + write_csv_safe(layout), encoding="utf-8")
    print(f"wrote {len(layout)} hexes to {target}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Small-cell suppression for published tables of counts (group aggregates never name a few people).

A table is rows of non-negative counts with, optionally, published margins: ``row_totals[i]`` is the
sum of row i, ``col_totals[j]`` the sum of column j and ``grand_total`` the sum of everything. Each
published margin is a linear relation "the parts add up to the total"; a relation in which only
one member is hidden gives that member away by subtraction.

``suppress`` hides:

1. *primary*: every count of 1..k-1 people, and every cell of a group (row or column) whose total is
   1..k-1 people or that is withheld already (``hidden_rows``/``hidden_cols``), so "0 of 3" is
   hidden too, and every member the caller withholds for a reason of its own (``hidden``: a figure
   that would differ from an earlier release by too few people);
2. *complementary*: while any relation has exactly one hidden member, the next smallest visible
   member of that relation (a non-zero cell first, a total last);
3. *audit*: while some hidden value still follows from a combination of several relations (exact
   linear algebra over the unknowns), one more member of a relation it appears in (or, when those
   are hidden whole, the total of another relation that holds a hidden member).

Pure functions: no database, no Flask.
"""

from dataclasses import dataclass
from fractions import Fraction

MIN_K = 5  # the lowest threshold the portal accepts, whatever the configuration says


def clamp_k(k):
    """The threshold to use: ``k`` as a whole number, never below ``MIN_K``."""
    try:
        k = int(k)
    except (TypeError, ValueError):
        k = MIN_K
    return max(MIN_K, k)


@dataclass
class Mask:
    """Which cells and totals are hidden: ``cells[i][j]``, ``rows[i]``, ``cols[j]``, ``grand``."""

    cells: list
    rows: list
    cols: list
    grand: bool

    def hidden(self, member):
        kind = member[0]
        if kind == "cell":
            return self.cells[member[1]][member[2]]
        if kind == "row":
            return self.rows[member[1]]
        if kind == "col":
            return self.cols[member[1]]
        return self.grand

    def hide(self, member):
        kind = member[0]
        if kind == "cell":
            self.cells[member[1]][member[2]] = True
        elif kind == "row":
            self.rows[member[1]] = True
        elif kind == "col":
            self.cols[member[1]] = True
        else:
            self.grand = True


def _small(value, k):
    return value is not None and 0 < value < k


def _relations(n_rows, n_cols, row_totals, col_totals, grand_total):
    """Each published "parts add up to a total" relation: (parts, total member)."""
    relations = []
    if row_totals is not None:
        relations += [([("cell", i, j) for j in range(n_cols)], ("row", i)) for i in range(n_rows)]
    if col_totals is not None:
        relations += [([("cell", i, j) for i in range(n_rows)], ("col", j)) for j in range(n_cols)]
    if grand_total is not None:
        if row_totals is not None:
            relations.append(([("row", i) for i in range(n_rows)], ("grand",)))
        if col_totals is not None:
            relations.append(([("col", j) for j in range(n_cols)], ("grand",)))
        if row_totals is None and col_totals is None:
            relations.append(([("cell", i, j) for i in range(n_rows) for j in range(n_cols)], ("grand",)))
    return [(parts, total) for parts, total in relations if parts]


def suppress(
    table, row_totals=None, col_totals=None, k=10, grand_total=None, hidden_rows=(), hidden_cols=(), hidden=()
):
    """The ``Mask`` of what to hide in ``table`` so no figure about fewer than ``k`` people is shown or
    can be worked out from the published totals by subtraction. ``k`` is clamped to at least ``MIN_K``.

    ``hidden_rows``/``hidden_cols``: indexes of rows/columns whose group is withheld already (for
    instance too small in a companion table): all their cells and totals are hidden. ``hidden``:
    members (``("cell", i, j)``, ``("row", i)``, ``("col", j)``, ``("grand",)``) to hide whatever
    their value; what could give them away is hidden too.
    """
    k = clamp_k(k)
    table = [list(row) for row in table]
    n_rows, n_cols = len(table), (len(table[0]) if table else len(col_totals or ()))
    values = {("grand",): grand_total}
    for i, row in enumerate(table):
        for j, value in enumerate(row):
            values[("cell", i, j)] = value
    for i in range(n_rows):
        values[("row", i)] = row_totals[i] if row_totals is not None else None
    for j in range(n_cols):
        values[("col", j)] = col_totals[j] if col_totals is not None else None

    small_rows = {i for i in range(n_rows) if i in set(hidden_rows) or _small(values[("row", i)], k)}
    small_cols = {j for j in range(n_cols) if j in set(hidden_cols) or _small(values[("col", j)], k)}
    mask = Mask(
        cells=[
            [_small(v, k) or i in small_rows or j in small_cols for j, v in enumerate(row)]
            for i, row in enumerate(table)
        ],
        rows=[row_totals is not None and i in small_rows for i in range(n_rows)],
        cols=[col_totals is not None and j in small_cols for j in range(n_cols)],
        grand=_small(grand_total, k),
    )
    for member in map(tuple, hidden):
        if values.get(member) is not None:  # a total that is not published is not there to hide
            mask.hide(member)

    relations = _relations(n_rows, n_cols, row_totals, col_totals, grand_total)
    while True:
        while _complement_once(relations, mask, values):
            pass
        if not _break_one_derivation(relations, mask, values):
            return mask


def _complement_choice(parts, total, mask, values):
    """The member to hide beside a lone hidden one: the smallest visible non-zero part, else a zero
    part, else the total."""
    visible = [m for m in parts if not mask.hidden(m)]
    for candidates in ([m for m in visible if (values[m] or 0) > 0], visible):
        if candidates:
            return min(candidates, key=lambda m: values[m] or 0)
    return None if mask.hidden(total) else total


def _complement_once(relations, mask, values):
    for parts, total in relations:
        members = parts + [total]
        if sum(1 for m in members if mask.hidden(m)) == 1:
            choice = _complement_choice(parts, total, mask, values)
            if choice is not None:
                mask.hide(choice)
                return True
    return False


def _break_one_derivation(relations, mask, values):
    """Hide one more member where a hidden value still follows from the relations; True if it did."""
    for member in derivable(relations, mask):
        for parts, total in relations:
            if member in parts or member == total:
                choice = _complement_choice(parts, total, mask, values)
                if choice is not None:
                    mask.hide(choice)
                    return True
        # each of its own relations is hidden whole (a withheld total): the other margins pin it, so
        # one of them goes, among those that hold something hidden
        for parts, total in relations:
            if not mask.hidden(total) and any(mask.hidden(m) for m in parts):
                mask.hide(total)
                return True
    return False


def derivable(relations, mask):
    """The hidden members whose value the published members and relations pin down exactly.

    Each relation is a row "sum(parts) - total = 0" over the hidden members (the visible ones are
    constants). A hidden member is pinned down exactly when its unit vector lies in the row space,
    i.e. in reduced row echelon form some row has its only non-zero entry in that member's column.
    """
    unknowns = sorted({m for parts, total in relations for m in parts + [total] if mask.hidden(m)})
    index = {m: n for n, m in enumerate(unknowns)}
    matrix = []
    for parts, total in relations:
        row = [Fraction(0)] * len(unknowns)
        for m in parts:
            if m in index:
                row[index[m]] += 1
        if total in index:
            row[index[total]] -= 1
        if any(row):
            matrix.append(row)
    pinned = []
    for row in _rref(matrix):
        nonzero = [n for n, value in enumerate(row) if value]
        if len(nonzero) == 1:
            pinned.append(unknowns[nonzero[0]])
    return pinned


def _rref(matrix):
    rows = [list(r) for r in matrix]
    if not rows:
        return rows
    lead = 0
    n_cols = len(rows[0])
    for r in range(len(rows)):
        while lead < n_cols:
            pivot = next((i for i in range(r, len(rows)) if rows[i][lead]), None)
            if pivot is not None:
                break
            lead += 1
        if lead >= n_cols:
            break
        rows[r], rows[pivot] = rows[pivot], rows[r]
        factor = rows[r][lead]
        rows[r] = [v / factor for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][lead]:
                f = rows[i][lead]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
        lead += 1
    return rows

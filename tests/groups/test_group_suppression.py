"""Small-cell suppression as a pure function: what is hidden, and that nothing hidden can be worked out."""

from itertools import product

import pytest

from checkup.services.groups.suppression import MIN_K, Mask, _relations, clamp_k, derivable, suppress


def hidden_cells(mask):
    return {(i, j) for i, row in enumerate(mask.cells) for j, hide in enumerate(row) if hide}


def assert_nothing_derivable(table, row_totals, col_totals, grand_total, mask):
    """The margins are equations over the hidden members; none of them may be solvable."""
    relations = _relations(len(table), len(table[0]), row_totals, col_totals, grand_total)
    # no relation leaves exactly one hidden member ...
    for parts, total in relations:
        hidden = [m for m in parts + [total] if mask.hidden(m)]
        assert len(hidden) != 1, f"{hidden[0]} follows by subtraction"
    # ... and no combination of relations pins a hidden value down either
    assert derivable(relations, mask) == []


def brute_force_values(table, row_totals, col_totals, mask, cell, limit=None):
    """Every value the hidden ``cell`` could take that agrees with all published figures (small tables)."""
    hidden = sorted(hidden_cells(mask))
    limit = limit or max(max(row) for row in table) + 1
    index = {c: n for n, c in enumerate(hidden)}
    possible = set()
    for guess in product(range(limit + 1), repeat=len(hidden)):

        def value(i, j):
            return guess[index[(i, j)]] if (i, j) in index else table[i][j]

        rows_ok = row_totals is None or all(
            mask.rows[i] or sum(value(i, j) for j in range(len(table[0]))) == row_totals[i] for i in range(len(table))
        )
        cols_ok = col_totals is None or all(
            mask.cols[j] or sum(value(i, j) for i in range(len(table))) == col_totals[j] for j in range(len(table[0]))
        )
        if rows_ok and cols_ok:
            possible.add(guess[index[cell]])
    return possible


# table, row totals, column totals, k, the cells that must be hidden (exactly)
CASES = [
    pytest.param([[12, 20], [15, 30]], [32, 45], [27, 50], 10, set(), id="nothing small"),
    pytest.param(
        [[3, 20, 30], [12, 15, 40]],
        [53, 67],
        [15, 35, 70],
        10,
        {(0, 0), (0, 1), (1, 0), (1, 1)},
        id="one small cell hides a rectangle",
    ),
    pytest.param([[0, 20], [12, 30]], [20, 42], [12, 50], 10, set(), id="zero is not a small count"),
    pytest.param([[3], [12], [20]], None, [35], 10, {(0, 0), (1, 0)}, id="one column with its total"),
    pytest.param(
        [[2, 0, 5, 9], [1, 11, 30, 22], [0, 4, 20, 18]],
        [16, 64, 42],
        None,
        10,
        {(0, 0), (0, 2), (0, 3), (1, 0), (1, 1), (2, 1), (2, 3)},
        id="rows only",
    ),
    pytest.param([[6, 14], [4, 40]], [20, 44], [10, 54], 5, {(1, 0), (0, 0), (1, 1), (0, 1)}, id="k of 5"),
]


@pytest.mark.parametrize("table, row_totals, col_totals, k, expected", CASES)
def test_suppress_hides_the_small_cells_and_their_complements(table, row_totals, col_totals, k, expected):
    mask = suppress(table, row_totals, col_totals, k=k)
    assert hidden_cells(mask) == expected
    assert_nothing_derivable(table, row_totals, col_totals, None, mask)


def test_the_subtraction_attack_fails():
    # department x finding: the 3 people of "Lab" must not be recoverable from the row and column totals
    table = [[3, 12, 22], [14, 11, 31]]
    row_totals, col_totals = [37, 56], [17, 23, 53]
    mask = suppress(table, row_totals, col_totals, k=10)
    assert mask.cells[0][0]
    # the naive attack: total minus the visible cells of the row (or column)
    visible_row = [v for j, v in enumerate(table[0]) if not mask.cells[0][j]]
    visible_col = [table[i][0] for i in range(2) if not mask.cells[i][0]]
    assert len(visible_row) < 2 and len(visible_col) < 1  # at least one more unknown in each equation
    # the thorough attack: every value consistent with what is published
    possible = brute_force_values(table, row_totals, col_totals, mask, (0, 0), limit=17)
    assert 3 in possible and len(possible) > 5
    assert_nothing_derivable(table, row_totals, col_totals, None, mask)


def test_a_small_total_is_hidden_with_every_cell_of_its_group():
    # a band of 3 people: its size and each of its cells are hidden, even a zero ("0 of 3")
    mask = suppress([[2, 5, 6], [0, 12, 14]], row_totals=[13, 26], col_totals=[3, 30, 40], k=10)
    assert mask.cols == [True, False, False]
    assert mask.cells[1][0] and mask.cells[0][0]


def test_withheld_columns_are_hidden_and_complemented():
    mask = suppress([[4, 15, 16, 20]], row_totals=[55], hidden_cols=[3], k=10)
    # 4 is small, column 3 is withheld by the caller: two hidden members, nothing more needed
    assert mask.cells == [[True, False, False, True]]
    mask = suppress([[12, 15, 16, 20]], row_totals=[63], hidden_cols=[3], k=10)
    assert mask.cells == [[True, False, False, True]]  # the withheld one alone would follow from the total


def test_totals_and_the_grand_total_are_protected_too():
    table = [[4, 0], [0, 30], [20, 11]]
    mask = suppress(table, row_totals=[4, 30, 31], col_totals=[24, 41], grand_total=65, k=10)
    assert mask.rows[0]  # a row total of 4 people
    assert_nothing_derivable(table, [4, 30, 31], [24, 41], 65, mask)


def test_a_cell_pinned_down_by_several_equations_is_protected():
    # each row and column holds two hidden cells, yet the chain of equations could still solve the pattern
    # unless the audit step adds another hidden member; whatever it does, nothing may be derivable
    table = [[3, 12, 0, 30], [12, 3, 30, 0], [30, 30, 3, 12], [0, 40, 12, 3]]
    row_totals = [sum(r) for r in table]
    col_totals = [sum(c) for c in zip(*table)]
    mask = suppress(table, row_totals, col_totals, k=10)
    assert {(0, 0), (1, 1), (2, 2), (3, 3)} <= hidden_cells(mask)
    assert_nothing_derivable(table, row_totals, col_totals, None, mask)


def test_derivable_finds_what_subtraction_reveals():
    relations = _relations(2, 2, [23, 42], [15, 50], None)  # for [[3, 20], [12, 30]]
    only_one = Mask(cells=[[True, False], [False, False]], rows=[False, False], cols=[False, False], grand=False)
    assert derivable(relations, only_one) == [("cell", 0, 0)]
    rectangle = Mask(cells=[[True, True], [True, True]], rows=[False, False], cols=[False, False], grand=False)
    assert derivable(relations, rectangle) == []


@pytest.mark.parametrize(
    "configured, used", [(10, 10), (5, 5), (4, 5), (1, 5), (0, 5), (-3, 5), ("x", 5), (None, 5), (25, 25)]
)
def test_k_is_never_below_five(configured, used):
    assert clamp_k(configured) == used
    assert MIN_K == 5


def test_a_low_k_is_clamped_inside_suppress():
    mask = suppress([[4, 30], [30, 30]], [34, 60], [34, 60], k=2)
    assert mask.cells[0][0]  # 4 < 5 even though 2 was asked for


def test_the_audit_closes_a_derivation_no_single_equation_shows():
    # two blocks of small cells joined by one small cell (1, 2): every row and column holds two or more
    # hidden cells, yet (1, 2) = row 1 - (column 0 + column 1 - row 0), all published figures
    table = [[3, 4, 30, 40], [2, 6, 5, 50], [40, 30, 7, 8], [50, 60, 9, 2]]
    row_totals = [sum(r) for r in table]
    col_totals = [sum(c) for c in zip(*table)]
    relations = _relations(4, 4, row_totals, col_totals, None)
    primary = Mask(cells=[[0 < v < 10 for v in row] for row in table], rows=[False] * 4, cols=[False] * 4, grand=False)
    assert all(sum(1 for m in parts + [total] if primary.hidden(m)) != 1 for parts, total in relations)
    assert ("cell", 1, 2) in derivable(relations, primary)

    mask = suppress(table, row_totals, col_totals, k=10)
    assert hidden_cells(primary) < hidden_cells(mask)
    assert_nothing_derivable(table, row_totals, col_totals, None, mask)


def test_an_empty_table_hides_nothing():
    mask = suppress([], col_totals=[0], k=10)
    assert (mask.cells, mask.cols, mask.grand) == ([], [False], False)
    assert suppress([[0, 0]], row_totals=[0], k=10).cells == [[False, False]]


def test_members_the_caller_withholds_are_hidden_with_what_would_give_them_away():
    """A release hides a cell or total that moved too little since an earlier one, whatever its value."""
    table, row_totals, col_totals = [[12, 15, 20], [30, 11, 14]], [47, 55], [42, 26, 34]
    mask = suppress(table, row_totals=row_totals, col_totals=col_totals, k=10, hidden=[("cell", 0, 1), ("row", 1)])
    assert mask.cells[0][1] and mask.rows[1]
    assert hidden_cells(mask) - {(0, 1)}, "a lone hidden cell would follow from its row or column"
    assert_nothing_derivable(table, row_totals, col_totals, None, mask)
    # a total that is not published is not there to hide: asking changes nothing
    plain = suppress(table, k=10, hidden=[("row", 0), ("grand",)])
    assert plain.rows == [False, False] and plain.grand is False and hidden_cells(plain) == set()

"""bench/ceiling.py's arithmetic: each burst's share against the bare runs nearest to it, and a re-measured
page counted by its median burst."""

from bench.ceiling import Figures, _set_ratios, bare_reference


def run(rps, path="/x", statuses=None):
    return Figures("x", path, requests=int(rps * 2), seconds=2.0, p50_ms=1, p95_ms=2, statuses=statuses or {200: 1})


def test_the_reference_is_the_median_of_the_nearest_four_bare_runs():
    bare = [run(value) for value in (3000, 3100, 900, 3200, 3300, 6000)]
    assert bare_reference(bare, 0) == 3000  # 3000, 3100, 900: at the start, fewer than four
    assert bare_reference(bare, 2) == 3150  # 3100, 900, 3200, 3300: one far-off run moves nothing much


def test_a_path_measured_three_times_counts_its_median_burst():
    bare = [run(3000)] * 8
    once = [(run(300), 0)]
    thrice = [(run(210), 1), (run(270), 5), (run(240), 6)]
    chosen = _set_ratios(bare, [once, thrice])
    assert [round(figures.ratio, 3) for figures in chosen] == [0.1, 0.08]
    assert [figures.runs for figures in chosen] == [1, 3]
    chosen[1].floor = 0.08
    assert chosen[1].ok
    chosen[1].floor = 0.09
    assert not chosen[1].ok  # most of its bursts under the floor: it fails


def test_two_bursts_count_the_lower():
    bare = [run(3000)] * 4
    chosen = _set_ratios(bare, [[(run(300), 0), (run(150), 1)]])
    assert round(chosen[0].ratio, 3) == 0.05 and chosen[0].runs == 2

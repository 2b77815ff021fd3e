"""`python -m bench --against REV`: the per-round ratio arithmetic, the alternation order and
the command line, as pure functions (nothing is started, nothing timed)."""

from pathlib import Path

import pytest

from bench import against, cli
from bench.paired import Runs, round_order
from bench.ratios import Comparison, Spread, added, ratios
from bench.revision import python_path, source_paths


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([2.0], Spread(2.0, 2.0, 2.0, 2.0, 2.0)),
        ([1.0, 3.0], Spread(2.0, 1.5, 2.5, 1.0, 3.0)),
        ([5.0, 1.0, 3.0], Spread(3.0, 2.0, 4.0, 1.0, 5.0)),
        ([1.0, 2.0, 3.0, 4.0, 100.0], Spread(3.0, 2.0, 4.0, 1.0, 100.0)),
    ],
)
def test_spread_is_the_median_quartiles_and_range(values: list[float], expected: Spread) -> None:
    assert Spread.of(values) == expected


def test_spread_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        Spread.of([])


@pytest.mark.parametrize(
    ("baseline", "candidate", "expected"),
    [
        ([100.0, 200.0], [120.0, 200.0], [1.2, 1.0]),
        ([4.0], [2.0], [0.5]),
    ],
)
def test_ratios_are_taken_round_by_round(
    baseline: list[float], candidate: list[float], expected: list[float]
) -> None:
    assert ratios(baseline, candidate) == pytest.approx(expected)


@pytest.mark.parametrize("function", [ratios, added])
def test_rounds_must_pair_up(function: object) -> None:
    with pytest.raises(ValueError, match="values"):
        function([1.0, 2.0], [1.0])  # type: ignore[operator]


def test_added_latency_is_through_minus_direct_per_round() -> None:
    assert added([0.35, 0.40], [0.05, 0.10]) == pytest.approx([0.30, 0.30])


@pytest.mark.parametrize(
    ("baseline", "candidate", "beyond_noise"),
    [
        ([100.0, 100.0, 100.0, 100.0], [121.0, 125.0, 119.0, 130.0], True),  # every round faster
        ([100.0, 100.0, 100.0, 100.0], [95.0, 90.0, 92.0, 97.0], True),  # every round slower
        ([100.0, 100.0, 100.0, 100.0], [97.0, 104.0, 99.0, 102.0], False),  # either way: noise
    ],
)
def test_a_comparison_is_beyond_noise_when_its_middle_half_excludes_one(
    baseline: list[float], candidate: list[float], beyond_noise: bool
) -> None:
    comparison = Comparison.of("req/s", "", baseline, candidate)
    assert comparison.beyond_noise is beyond_noise
    assert comparison.baseline == 100.0


def test_comparisons_subtract_the_same_rounds_direct_run() -> None:
    runs = Runs(("direct", "A", "B"))
    runs.p50_ms.update({"direct": [0.05, 0.10], "A": [0.45, 0.50], "B": [0.25, 0.30]})
    runs.p99_ms.update({"direct": [0.10, 0.10], "A": [1.10, 2.10], "B": [1.10, 1.10]})
    runs.rps.update({"A": [1000.0, 2000.0], "B": [1200.0, 2600.0]})
    runs.cpu_us.update({"A": [200.0, 200.0], "B": [150.0, 100.0]})
    found = {item.figure: item for item in against.comparisons(runs, 32, streams=False)}
    assert found["added p50, c=1"].ratio.median == pytest.approx(0.5)
    assert found["added p50, c=1"].baseline == pytest.approx(0.4)
    assert found["added p99, c=1"].ratio.low == pytest.approx(0.5)
    assert found["req/s, c=32"].ratio.median == pytest.approx(1.25)
    assert found["edge CPU per request, c=32"].ratio.high == pytest.approx(0.75)
    assert "1.250" in against.table(list(found.values()), "main")


@pytest.mark.parametrize(
    ("round_", "expected"), [(0, ("A", "B", "C")), (1, ("C", "B", "A")), (2, ("A", "B", "C"))]
)
def test_rounds_alternate_their_order(round_: int, expected: tuple[str, ...]) -> None:
    assert round_order(round_, ["A", "B", "C"]) == expected


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        ([], None),
        (["--against", "main"], None),
        (["--against", "main", "--rounds", "15", "--seconds", "5", "--streams"], None),
        (["--rounds", "5"], "go with --against"),
        (["--streams"], "go with --against"),
        (["--against", "main", "--rounds", "0"], "must be ≥ 1"),
        (["--against", "main", "--seconds", "0"], "must be ≥ 1"),
        (["--against", "main", "--connections", "1"], "above 1"),
        (["--duration", "0"], "--duration"),
        (["--against", "main", "--streams", "--pace-ms", "5"], None),
        (["--against", "main", "--pace-ms", "5"], "goes with --streams"),
        (["--against", "main", "--streams", "--pace-ms", "0"], "above 0"),
    ],
)
def test_arguments(argv: list[str], error: str | None) -> None:
    found = cli.argument_error(cli.build_parser().parse_args(argv))
    assert found is None if error is None else error in (found or "")


@pytest.mark.parametrize(
    ("argv", "settings", "command"),
    [
        (
            ["--against", "main"],
            against.Settings("main", cli.AB_ROUNDS, cli.AB_SECONDS, 32, streams=False),
            f"python -m bench --against main --rounds {cli.AB_ROUNDS} --seconds {cli.AB_SECONDS}",
        ),
        (
            ["--against", "v1", "--rounds", "3", "--seconds", "2", "--connections", "64", "--streams"],
            against.Settings("v1", 3, 2, 64, streams=True),
            "python -m bench --against v1 --rounds 3 --seconds 2 --connections 64 --streams",
        ),
        (
            ["--against", "main", "--streams", "--pace-ms", "2.5"],
            against.Settings("main", cli.AB_ROUNDS, cli.AB_SECONDS, 32, streams=True, pace_ms=2.5),
            f"python -m bench --against main --rounds {cli.AB_ROUNDS} --seconds {cli.AB_SECONDS} "
            "--streams --pace-ms 2.5",
        ),
    ],
)
def test_settings_and_the_command_that_repeats_them(
    argv: list[str], settings: against.Settings, command: str
) -> None:
    found = cli.ab_settings(cli.build_parser().parse_args(argv))
    assert found == settings
    assert against.command_line(found) == command


def test_revision_sources_come_first_on_the_python_path(tmp_path: Path) -> None:
    for member in ("libs/a", "services/b"):
        (tmp_path / member / "src").mkdir(parents=True)
    (tmp_path / "libs" / "no-src").mkdir()
    pyproject = {"tool": {"uv": {"workspace": {"members": ["libs/a", "services/b", "libs/no-src"]}}}}
    paths = source_paths(tmp_path, pyproject)
    assert paths == [tmp_path / "libs/a/src", tmp_path / "services/b/src"]
    assert python_path(paths, "/elsewhere").split(":") == [str(p) for p in paths] + ["/elsewhere"]
    assert python_path(paths, None).split(":") == [str(p) for p in paths]

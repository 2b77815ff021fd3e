"""Usage charts are drawn on the server from series rows: pure geometry, checked without a browser."""

from ingate_admin.console.charts import HEIGHT, MAX_LINES, WIDTH, bucket_time, line_chart


def _row(bucket: str, user: str, requests: int, cost: float = 0.0) -> dict[str, object]:
    return {"ts": bucket, "user_id": user, "requests": requests, "tokens": 7, "cost_usd": cost, "errors": 1}


def test_one_line_per_group_scaled_to_the_largest_value() -> None:
    rows = [
        _row("2026-12-07T01:00:00.000Z", "ann", 2),
        _row("2026-12-07T02:00:00Z", "ann", 4),
        _row("2026-12-07T02:00:00Z", "bob", 1),
    ]
    chart = line_chart(rows, "user_id", "requests")
    assert [line.label for line in chart.lines] == ["ann", "bob"]
    assert chart.y_max == 4
    ann, bob = chart.lines
    assert ann.total == 6
    # Oldest bucket at the left edge, newest at the right, the maximum at the top.
    assert ann.points[0][0] < ann.points[1][0]
    assert ann.points[1][1] < ann.points[0][1]
    assert all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for line in chart.lines for x, y in line.points)
    # A group quiet in a bucket drops to the axis there instead of bridging it.
    assert bob.points[0][1] == max(y for line in chart.lines for _, y in line.points)
    assert chart.x_first == "2026-12-07 01:00 UTC"
    assert chart.x_last == "2026-12-07 02:00 UTC"


def test_tokens_and_cost_are_charted_too() -> None:
    rows = [_row("2026-12-07T01:00:00.000Z", "ann", 1, cost=0.25)]
    assert line_chart(rows, "user_id", "tokens").lines[0].total == 7
    assert line_chart(rows, "user_id", "cost_usd").lines[0].total == 0.25
    assert line_chart(rows, "user_id", "errors").lines[0].total == 1


def test_more_groups_than_lines_are_summed_into_others() -> None:
    rows = [_row("2026-12-07T01:00:00.000Z", f"user-{n}", n + 1) for n in range(MAX_LINES + 3)]
    chart = line_chart(rows, "user_id", "requests")
    assert len(chart.lines) == MAX_LINES + 1
    assert chart.lines[-1].label == "3 others"
    assert chart.lines[-1].total == 1 + 2 + 3


def test_no_rows_is_an_empty_chart() -> None:
    assert line_chart([], "user_id", "requests").empty


def test_a_bucket_is_a_number_or_an_iso_time() -> None:
    assert bucket_time(1_700_000_000) == 1_700_000_000.0
    assert bucket_time("2023-11-14T22:13:20Z") == 1_700_000_000.0
    assert bucket_time("2023-11-14 22:13:20") == 1_700_000_000.0
    assert bucket_time("2023-11-15T00:13:20+02:00") == 1_700_000_000.0


def test_every_metric_shows_the_same_groups_in_the_same_colours() -> None:
    rows = [
        {"ts": "2026-12-07T01:00:00.000Z", "user_id": "busy", "requests": 9, "tokens": 1, "cost_usd": 0.0},
        {
            "ts": "2026-12-07T01:00:00.000Z",
            "user_id": "costly",
            "requests": 1,
            "tokens": 900,
            "cost_usd": 5.0,
        },
    ]
    charts = [line_chart(rows, "user_id", metric) for metric in ("requests", "tokens", "cost_usd")]
    assert {tuple((line.label, line.colour) for line in chart.lines) for chart in charts} == {
        (("busy", charts[0].lines[0].colour), ("costly", charts[0].lines[1].colour))
    }

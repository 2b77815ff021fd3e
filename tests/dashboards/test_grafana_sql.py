"""The macro expansion the dashboard tests rely on, checked against the plugin's documented output."""

from datetime import UTC, datetime

import pytest

from tests.dashboards.grafana_sql import QueryContext, expand_macros, interpolate_variables, variable_names

# The time range and interval of the examples in the plugin's macro table.
DOCS = QueryContext(
    time_from=datetime.fromtimestamp(1415792726.123, UTC),
    time_to=datetime.fromtimestamp(1447328726.456, UTC),
    interval_s=20,
)


@pytest.mark.parametrize(
    ("sql", "expanded"),
    [
        ("$__timeFilter(time)", "time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)"),
        (
            "$__timeFilter_ms(time)",
            "time >= fromUnixTimestamp64Milli(1415792726123) "
            "AND time <= fromUnixTimestamp64Milli(1447328726456)",
        ),
        ("$__timeFrom(time)", "time >= toDateTime(1415792726)"),
        ("$__timeTo(time)", "time <= toDateTime(1447328726)"),
        ("$__fromTime", "toDateTime(1415792726)"),
        ("$__toTime", "toDateTime(1447328726)"),
        ("$__fromTime_ms", "fromUnixTimestamp64Milli(1415792726123)"),
        ("$__toTime_ms", "fromUnixTimestamp64Milli(1447328726456)"),
        ("$__interval_s", "20"),
        ("$__timeInterval(column)", "toStartOfInterval(toDateTime(column), INTERVAL 20 second)"),
        (
            "$__timeInterval_ms(column)",
            "toStartOfInterval(toDateTime64(column, 3), INTERVAL 20000 millisecond)",
        ),
        (
            "SELECT $__timeInterval(ts) AS t, count() / $__interval_s FROM x "
            "WHERE $__timeFilter(ts) AND f(a, b)",
            "SELECT toStartOfInterval(toDateTime(ts), INTERVAL 20 second) AS t, count() / 20 FROM x "
            "WHERE ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726) AND f(a, b)",
        ),
        ("$__timeInterval(toDate(ts))", "toStartOfInterval(toDateTime(toDate(ts)), INTERVAL 20 second)"),
    ],
)
def test_macros_expand_as_the_plugin_documents(sql: str, expanded: str) -> None:
    assert expand_macros(sql, DOCS) == expanded


def test_interval_is_at_least_one_second() -> None:
    tiny = QueryContext(DOCS.time_from, DOCS.time_to, interval_s=0.2)
    assert expand_macros("$__interval_s $__timeInterval(ts)", tiny) == (
        "1 toStartOfInterval(toDateTime(ts), INTERVAL 1 second)"
    )


@pytest.mark.parametrize("sql", ["$__timeFilter", "$__timeFilter(a, b)", "$__noSuchMacro(ts)"])
def test_bad_macros_are_errors(sql: str) -> None:
    with pytest.raises(ValueError, match="__"):
        expand_macros(sql, DOCS)


def test_template_variables_are_replaced_as_grafana_does() -> None:
    sql = "WHERE u = '${user}' AND s = $session AND q = ${user:singlequote} AND $__timeFilter(ts)"
    assert interpolate_variables(sql, {"user": "o'k", "session": "'s1'"}) == (
        "WHERE u = 'o'k' AND s = 's1' AND q = 'o\\'k' AND $__timeFilter(ts)"
    )
    assert variable_names(sql + " ${__url_time_range} ${__value.raw}") == {"user", "session"}
    with pytest.raises(KeyError):
        interpolate_variables("${missing}", {})

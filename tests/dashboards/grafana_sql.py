"""Turn a dashboard query into the SQL ClickHouse receives, as Grafana and the plugin do.

Grafana first replaces template variables (`$name`, `${name}`, `${name:format}`) in the browser;
the grafana-clickhouse-datasource backend then expands its `$__` macros. The macro forms below
mirror the plugin's own (pkg/macros/macros.go, and the macro table of its query-editor
documentation): whole Unix seconds for times, the interval in whole seconds with a minimum of 1.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QueryContext:
    """What a panel query runs with: the dashboard time range and the panel's interval."""

    time_from: datetime
    time_to: datetime
    interval_s: float


def _to_datetime(moment: datetime) -> str:
    return f"toDateTime({int(moment.timestamp())})"


def _to_datetime64(moment: datetime) -> str:
    return f"fromUnixTimestamp64Milli({int(moment.timestamp() * 1000)})"


def _seconds(ctx: QueryContext) -> int:
    return int(max(ctx.interval_s, 1))


def _range(column: str, low: str, high: str) -> str:
    return f"{column} >= {low} AND {column} <= {high}"


# name -> (number of arguments, expansion)
_MACROS: dict[str, tuple[int, Callable[[QueryContext, list[str]], str]]] = {
    "timeFilter": (
        1,
        lambda c, a: _range(a[0], _to_datetime(c.time_from), _to_datetime(c.time_to)),
    ),
    "timeFilter_ms": (
        1,
        lambda c, a: _range(a[0], _to_datetime64(c.time_from), _to_datetime64(c.time_to)),
    ),
    "timeFrom": (1, lambda c, a: f"{a[0]} >= {_to_datetime(c.time_from)}"),
    "timeTo": (1, lambda c, a: f"{a[0]} <= {_to_datetime(c.time_to)}"),
    "fromTime": (0, lambda c, _: _to_datetime(c.time_from)),
    "toTime": (0, lambda c, _: _to_datetime(c.time_to)),
    "fromTime_ms": (0, lambda c, _: _to_datetime64(c.time_from)),
    "toTime_ms": (0, lambda c, _: _to_datetime64(c.time_to)),
    "timeInterval": (
        1,
        lambda c, a: f"toStartOfInterval(toDateTime({a[0]}), INTERVAL {_seconds(c)} second)",
    ),
    "timeInterval_ms": (
        1,
        lambda c, a: (
            f"toStartOfInterval(toDateTime64({a[0]}, 3), "
            f"INTERVAL {int(max(c.interval_s * 1000, 1))} millisecond)"
        ),
    ),
    "interval_s": (0, lambda c, _: str(_seconds(c))),
}

_MACRO = re.compile(r"\$__(\w+)")
# Grafana's forms for a template variable; names starting with "__" are Grafana's or the plugin's own.
_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")


def _arguments(sql: str, open_at: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the parenthesis at open_at, and the index after it."""
    depth, start, args = 0, open_at + 1, []
    for index in range(open_at, len(sql)):
        char = sql[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:index].strip())
                return [arg for arg in args if arg], index + 1
        elif char == "," and depth == 1:
            args.append(sql[start:index].strip())
            start = index + 1
    raise ValueError(f"unbalanced parentheses after position {open_at}: {sql[open_at:]!r}")


def expand_macros(sql: str, ctx: QueryContext) -> str:
    """Expand every `$__macro` and `$__macro(args)`; an unknown macro or a wrong arity is an error."""
    out, position = [], 0
    while match := _MACRO.search(sql, position):
        out.append(sql[position : match.start()])
        name, end = match.group(1), match.end()
        if name not in _MACROS:
            raise ValueError(f"macro $__{name} is not one the ClickHouse plugin expands")
        arity, expand = _MACROS[name]
        args: list[str] = []
        if arity and end < len(sql) and sql[end] == "(":
            args, end = _arguments(sql, end)
        if len(args) != arity:
            raise ValueError(f"$__{name} expects {arity} argument(s), got {len(args)}")
        out.append(expand(ctx, args))
        position = end
    out.append(sql[position:])
    return "".join(out)


def variable_names(text: str) -> set[str]:
    """Dashboard variables a string refers to (not Grafana's `__` built-ins, not macros)."""
    found = {m.group(1) or m.group(3) for m in _VARIABLE.finditer(text)}
    return {name for name in found if not name.startswith("__")}


def interpolate_variables(sql: str, values: Mapping[str, str]) -> str:
    """Replace single-value template variables as Grafana does before the query leaves the browser."""

    def replace(match: re.Match[str]) -> str:
        name, style = match.group(1) or match.group(3), match.group(2)
        if name.startswith("__"):
            return match.group(0)
        if name not in values:
            raise KeyError(f"template variable {name!r} has no value")
        value = values[name]
        if style in (None, "raw"):
            return value
        if style == "singlequote":
            return "'" + value.replace("'", "\\'") + "'"
        raise ValueError(f"variable format {style!r} is not supported here")

    return _VARIABLE.sub(replace, sql)


def render(sql: str, values: Mapping[str, str], ctx: QueryContext) -> str:
    """The statement ClickHouse receives for a panel or variable query."""
    return expand_macros(interpolate_variables(sql, values), ctx)

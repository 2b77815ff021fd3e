"""The routes this edge serves, compiled from the config onto its provider pools."""

from collections.abc import Iterable
from typing import Final, Protocol

from ingate_config import RetryClass, RouteConfig, RouteTarget
from ingate_edge.routing.rewrite import json_string
from ingate_edge.routing.strategies import STRATEGIES, Strategy, TargetLoad
from ingate_edge.upstream import Upstream, Upstreams


class Availability(Protocol):
    def cooling(self, target_id: str, now: float) -> bool: ...


class Deployment:
    """One real model at one provider, shared by every route that names it: an outage, the
    requests in flight and the time to first byte are the deployment's, whichever route sent."""

    __slots__ = ("id", "label", "load", "model", "model_json", "upstream")

    def __init__(self, provider: str, model: str, upstream: Upstream) -> None:
        self.upstream = upstream
        self.model = model
        self.model_json = json_string(model)
        self.id = f"{provider}/{model}"
        self.label = self.id.encode()  # X-Ingate-Target
        self.load = TargetLoad()


class VirtualModel:
    """A route as the edge runs it: its deployments, strategy and retry policy."""

    __slots__ = (
        "_count",
        "attempt_limit",
        "cooldown_s",
        "fallbacks",
        "measures_ttfb",
        "name",
        "name_json",
        "retry_on",
        "strategy",
        "targets",
    )

    def __init__(self, config: RouteConfig, targets: list[Deployment], fallbacks: list[Deployment]) -> None:
        self.name = config.name
        self.name_json = json_string(config.name)
        self.targets: Final = tuple(targets)
        self.fallbacks: Final = tuple(fallbacks)
        weights = [target.weight for target in config.targets]
        self.strategy: Strategy = STRATEGIES[config.strategy](weights, [t.load for t in targets])
        self.retry_on: frozenset[RetryClass] = frozenset(config.retry_on)
        self.measures_ttfb = config.strategy == "latency"  # only that strategy reads the averages
        self.attempt_limit = config.attempt_limit
        self.cooldown_s = config.cooldown_s
        self._count = len(targets) + len(fallbacks)

    def plan(self, cooldowns: Availability, now: float) -> list[Deployment]:
        """The deployments to try, in order: the strategy's pick of the targets not cooling down,
        then the fallbacks not cooling down, in order. A route allowing more attempts than it
        has deployments goes round them again; one whose deployments cool makes fewer.

        Only a look: the probe of a target whose cooldown ran out is taken when the attempt is
        about to be made, so a planned attempt never made holds up no probe."""
        targets = self.targets
        if self._count == 1:  # the common one-target route: nothing to order, and the
            return [targets[0]] * self.attempt_limit  # attempt itself skips it while it cools
        ready = [index for index, target in enumerate(targets) if not cooldowns.cooling(target.id, now)]
        ordered = [targets[index] for index in self.strategy.order(ready)] if ready else []
        ordered.extend(target for target in self.fallbacks if not cooldowns.cooling(target.id, now))
        if self.attempt_limit > self._count and ordered:
            ordered *= -(-self.attempt_limit // self._count)
        return ordered[: self.attempt_limit]


class RouteTable:
    def __init__(
        self, routes: dict[str, RouteConfig], upstreams: Upstreams, previous: "RouteTable | None" = None
    ) -> None:
        """`previous`: the table this one replaces; a deployment still at the same pool keeps
        what the edge measured of it (requests in flight, time to first byte)."""
        kept = previous._deployments if previous is not None else {}
        self._deployments: dict[str, Deployment] = {}
        self._by_name = {
            name: VirtualModel(
                config,
                self._compile(config.targets, upstreams, kept),
                self._compile(config.fallbacks, upstreams, kept),
            )
            for name, config in routes.items()
        }
        self.names: Final = tuple(self._by_name)

    def get(self, model: str | None) -> VirtualModel | None:
        return self._by_name.get(model) if model else None

    def _compile(
        self, targets: Iterable[RouteTarget], upstreams: Upstreams, kept: dict[str, Deployment]
    ) -> list[Deployment]:
        compiled = []
        for target in targets:
            upstream = upstreams.get(target.provider)
            if upstream is None:  # the config check names unknown providers first
                raise ValueError(f"route target names unknown provider {target.provider!r}")
            target_id = f"{target.provider}/{target.model}"
            deployment = self._deployments.get(target_id) or kept.get(target_id)
            if deployment is None or deployment.upstream is not upstream:
                deployment = Deployment(target.provider, target.model, upstream)
            self._deployments[target_id] = deployment
            compiled.append(deployment)
        return compiled

"""The metric registry: each metric declared once, beside its code.

Pages, the README's metric table, the CLI and the tests all read these declarations; nothing
restates a definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

OWNERS = ("marketing", "sales", "shared")
FORMATS = ("count", "percent", "currency", "days", "table")


@dataclass(frozen=True)
class Param:
    """A parameter a metric takes beyond the shared filters."""

    name: str
    kind: type
    default: Any
    help: str
    choices: tuple | None = None

    def parse(self, text: str) -> Any:
        value = self.kind(text)
        if self.choices and value not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(map(str, self.choices))}; got {text!r}.")
        return value


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    definition: str
    grain: str
    owner: str
    format: str
    area: str
    fn: Callable[..., pd.DataFrame]
    params: tuple[Param, ...] = field(default=())
    # Can targets for this metric be summed over months into a quarter?
    additive: bool = False

    def __call__(self, cur, filters, **params) -> pd.DataFrame:
        return self.fn(cur, filters, **params)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in REGISTRY:
        raise ValueError(f"Metric {metric.name!r} is registered twice.")
    if metric.owner not in OWNERS or metric.format not in FORMATS:
        raise ValueError(f"Metric {metric.name!r}: owner {metric.owner!r} or format {metric.format!r} unknown.")
    REGISTRY[metric.name] = metric
    return metric


def metric(*, name: str, label: str, definition: str, grain: str, owner: str, format: str,
           area: str, params: tuple[Param, ...] = (), additive: bool = False):
    """Decorator: register the function as the metric `name`."""

    def wrap(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        register(Metric(name=name, label=label, definition=definition, grain=grain, owner=owner,
                        format=format, area=area, fn=fn, params=params, additive=additive))
        return fn

    return wrap


def get(name: str) -> Metric:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"No metric named {name!r}. Known: {', '.join(sorted(REGISTRY))}.") from None

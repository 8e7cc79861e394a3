"""The replica's seeded fault profile.

A fault is decided per request from ``(seed, url, attempt)``, where ``attempt`` counts
earlier requests for the same URL. The same crawl therefore meets the same faults every
time, and a URL stops failing after ``max_attempts`` faulty answers, so a crawler that
retries (and honours ``Retry-After``) always gets through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

#: Every fault the replica can inject. ``bad_nextdata`` applies to article pages only.
FAULT_KINDS = ("500", "503", "429", "slow", "reset", "truncate", "bad_nextdata")
#: Request kinds a profile touches unless told otherwise; robots.txt and the control
#: endpoints are never faulted.
DEFAULT_SCOPE = ("article", "amp", "section", "gateway", "feed", "sitemap")
SCOPES = DEFAULT_SCOPE + ("asset",)


def _check_known(what: str, values: tuple[str, ...], known: tuple[str, ...]) -> None:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}; known: {', '.join(known)}")


@dataclass(frozen=True)
class FaultProfile:
    rate: float = 0.0  # share of eligible requests that get a fault
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 1
    max_attempts: int = 2  # attempts of one URL that may fault; later ones never do
    slow_seconds: float = 2.0
    retry_after: int = 1  # seconds, sent with 429 and 503
    scope: tuple[str, ...] = DEFAULT_SCOPE
    _kinds_by_scope: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        _check_known("fault", self.kinds, FAULT_KINDS)
        _check_known("scope", self.scope, SCOPES)
        if self.max_attempts < 0 or self.slow_seconds < 0 or self.retry_after < 0:
            raise ValueError("max_attempts, slow_seconds and retry_after must not be negative")
        if not self.kinds and self.rate:
            raise ValueError("a profile with a rate needs at least one fault kind")

    @classmethod
    def parse(cls, spec: str | None, **overrides: object) -> FaultProfile:
        """Build a profile from ``"rate=0.2,kinds=500+503+reset,seed=3"`` (or "off")."""
        values: dict[str, object] = {}
        if spec and spec.strip() not in ("", "off"):
            for part in spec.split(","):
                key, _, value = part.partition("=")
                values[key.strip()] = value.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object],
                     base: FaultProfile | None = None) -> FaultProfile:
        base = base or cls()
        known = {"rate", "kinds", "seed", "max_attempts", "slow_seconds", "retry_after", "scope"}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault setting {sorted(unknown)[0]!r}; known: {', '.join(sorted(known))}")
        changes: dict[str, object] = {}
        try:
            for key, value in values.items():
                if key in ("kinds", "scope"):
                    items = value if isinstance(value, list | tuple) else str(value).replace("+", " ").replace(";", " ").split()
                    changes[key] = tuple(str(i) for i in items)
                elif key in ("seed", "max_attempts", "retry_after"):
                    changes[key] = int(str(value))
                else:
                    changes[key] = float(str(value))
        except ValueError as exc:
            raise ValueError(f"bad fault setting: {exc}") from None
        return replace(base, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        return {"rate": self.rate, "kinds": list(self.kinds), "seed": self.seed,
                "max_attempts": self.max_attempts, "slow_seconds": self.slow_seconds,
                "retry_after": self.retry_after, "scope": list(self.scope)}

    def decide(self, request_kind: str, url_key: str, attempt: int, *,
               page_data: bool = True) -> str | None:
        """The fault for this request, or None. ``bad_nextdata`` applies to article pages
        only, and only where pages carry a data script to break (``page_data``)."""
        if not self.rate or attempt >= self.max_attempts or request_kind not in self.scope:
            return None
        digest = hashlib.blake2b(f"{self.seed}|{url_key}|{attempt}".encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "big")
        if (value & 0xFFFFFFFF) / 2**32 >= self.rate:
            return None
        kinds = [k for k in self.kinds
                 if k != "bad_nextdata" or (request_kind == "article" and page_data)]
        if not kinds:
            return None
        return kinds[(value >> 32) % len(kinds)]

"""An Apollo GraphQL client cache (``window.__APOLLO_STATE__ = {...}``): the node a page is
about, with its refs resolved on demand, read without decoding the whole state when it can be.

A server-rendered Apollo page ships its cache as one script: one or more caches, each a flat
map of entries (``"Article:1": {...}``) whose ``ROOT_QUERY`` entry holds the queries the page
ran; entries point to each other by refs, ``{"type": "id", "id": key}`` (Apollo 2) or
``{"__ref": key}`` (Apollo 3). Most of the state is other content (trending lists, menus): a
page's node and the entries its refs reach are a small part of it.

``ApolloNode.seek`` finds those entries in the state's *text* (``extraction.scripts``) and
decodes only them; it returns None whenever it cannot vouch for the answer, and the caller
then decodes the whole state and uses ``ApolloNode.find``. Both give the same node. What the
node is, is the outlet's to say: a subclass names the ``ROOT_QUERY`` field that leads to it
(``root_field``) and, for caches without such an entry, the typenames and the key a node must
have (``node_types``, ``node_key``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self

from newscrawl.extraction import scripts

# Bounds of the seek; past them the whole state is decoded.
MAX_CACHES = 8  # caches (ROOT_QUERY entries) tried
MAX_ENTRIES = 400  # entries sought (the node and what its refs reach)
MAX_WALK = 5000  # containers walked for refs in one entry


class ApolloNode:
    """The node of an Apollo cache that a page is about, with its refs resolved on demand.

    ``find`` reads a fully decoded state; ``seek`` reads only the entries the node needs from
    the state's text (the node and every node its refs reach, transitively) and gives the same
    object: ``state`` then holds just those entries, which is all ``resolve`` ever looks up.
    """

    #: ``ROOT_QUERY`` entries whose key starts with this point to the node ("content").
    root_field: ClassVar[str]
    #: Without such an entry: the first entry keyed ``<type>:...`` with one of these types...
    node_types: ClassVar[tuple[str, ...]] = ()
    #: ... and a non-empty value under this key is taken as the node.
    node_key: ClassVar[str] = ""

    def __init__(self, state: dict[str, Any], node: dict[str, Any]) -> None:
        self.state = state
        self.node = node
        self._resolved: dict[str, Any] = {}

    @classmethod
    def seek(cls, text: str, start: int) -> Self | None:
        """The node of the state at ``text[start]``, decoding only its entries; None when the
        seek cannot vouch for its answer (the caller then decodes the whole state).

        ``find``'s choice, taken the same way: the first cache whose ``ROOT_QUERY`` has a
        ``root_field`` entry, that entry's ref, and each ref met in the node (and in the
        nodes it reaches) looked up as an entry of that cache, from the cache's opening
        (``ROOT_QUERY`` must be its first key) on. Every entry must be found inside the
        script, hold valid JSON and agree with its ref's ``typename``. Refs are resolved
        eagerly, so a broken entry is known before any field is read.
        """
        if text[start] != "{":
            return None
        pos = start
        for _ in range(MAX_CACHES):  # bound: caches tried
            pos = scripts.find_key(text, "ROOT_QUERY", pos, len(text))
            if pos < 0:
                return None
            cache_start = scripts.object_opened_by(text, "ROOT_QUERY", pos, start)
            root_query = scripts.decode_at(text, pos)
            if cache_start < 0 or not isinstance(root_query, dict):
                return None
            for key, value in root_query.items():
                if key.startswith(cls.root_field) and isinstance(value, dict):
                    return cls._sought(text, start, cache_start, pos, value)
        return None

    @classmethod
    def _sought(cls, text: str, start: int, cache_start: int, root_at: int,
                ref: dict[str, Any]) -> Self | None:
        entries: dict[str, Any] = {}
        pending = [ref]
        furthest = root_at
        for value in pending:  # grows as refs are met; bound: MAX_ENTRIES
            target = ref_target(value)
            if target is None or target in entries:
                continue
            if len(entries) >= MAX_ENTRIES:
                return None
            at = scripts.find_key(text, target, cache_start, len(text))
            if at < 0:
                return None  # a dangling ref, or a key spelt another way: the full decode
            found = scripts.decode_at(text, at)
            if found is scripts.MISSING:
                return None  # a broken state: the full decode decides
            typename = value.get("typename")
            if (isinstance(found, dict) and isinstance(typename, str)
                    and found.get("__typename", typename) != typename):
                return None  # not the entry the ref means
            entries[target] = found
            refs = _refs_in(found)
            if refs is None:
                return None
            pending.extend(refs)
            furthest = max(furthest, at)
        if text.find("</", start, furthest) >= 0:
            return None  # a key found past the end of the script (or markup inside it)
        node = entries.get(ref_target(ref) or "")
        if not isinstance(node, dict) or not node:
            return None
        return cls(entries, node)

    @classmethod
    def find(cls, state: dict[str, Any]) -> Self | None:
        """The node of a fully decoded state (one cache, or a map of caches)."""
        caches = [state] if "ROOT_QUERY" in state else [
            v for v in state.values() if isinstance(v, dict) and "ROOT_QUERY" in v]
        for cache in caches:
            root_query = cache.get("ROOT_QUERY")
            if not isinstance(root_query, dict):
                continue
            for key, value in root_query.items():
                if key.startswith(cls.root_field) and isinstance(value, dict):
                    node = _resolve_ref(cache, value)
                    if isinstance(node, dict) and node:
                        return cls(cache, node)
        # No ROOT_QUERY entry: take the first entry that looks like such a node.
        for cache in caches or [state]:
            for key, value in cache.items():
                if (isinstance(value, dict) and key.split(":")[0] in cls.node_types
                        and value.get(cls.node_key)):
                    return cls(cache, value)
        return None

    @property
    def typename(self) -> str | None:
        return self.node.get("__typename")

    def get(self, key: str) -> Any:
        """The node's ``key`` with its refs resolved (once: fields ask for some keys often)."""
        try:
            return self._resolved[key]
        except KeyError:
            value = self._resolved[key] = self.resolve(self.node.get(key))
            return value

    def field_with_arguments(self, name: str) -> Any:
        """The first non-empty value of ``name`` or ``name(...)`` (a field queried with
        arguments, ``body({"format":"json"})``), refs resolved."""
        for key, value in self.node.items():
            if key == name or key.startswith(name + "("):
                resolved = self.resolve(value)
                if resolved:
                    return resolved
        return None

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """``value`` with every ref replaced by its entry; ``{type: "json"}`` values unwrapped."""
        if depth > 6:
            return value
        if isinstance(value, dict):
            target = _resolve_ref(self.state, value)
            if target is not value:
                return self.resolve(target, depth + 1)
            if value.get("type") == "json" and "json" in value:
                return value["json"]
            return {k: self.resolve(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, depth + 1) for v in value]
        return value


def ref_target(value: dict[str, Any]) -> str | None:
    """The key a ref points to (Apollo 2 ``{type: id, id}`` or Apollo 3 ``{__ref}``)."""
    ref = value.get("__ref")
    if ref is None and value.get("type") == "id":
        ref = value.get("id")
    return ref if isinstance(ref, str) else None


def _resolve_ref(state: dict[str, Any], value: dict[str, Any]) -> Any:
    """The node a ref points to, or the value itself when it is no ref to a node."""
    ref = ref_target(value)
    if ref is not None:
        target = state.get(ref)
        if isinstance(target, dict):
            return target
    return value


def _refs_in(value: Any) -> list[dict[str, Any]] | None:
    """Every ref inside ``value`` that ``ApolloNode.resolve`` could follow (its walk, without
    the ``{type: "json"}`` trees it returns as they are); None if there are more containers
    than ``MAX_WALK``."""
    refs: list[dict[str, Any]] = []
    stack = [value]
    visited = 0
    while stack:
        visited += 1
        if visited > MAX_WALK:
            return None
        item = stack.pop()
        if isinstance(item, dict):
            kind = item.get("type")
            if ("__ref" in item or kind == "id") and ref_target(item) is not None:
                refs.append(item)
            elif kind == "json" and "json" in item:
                continue
            values: Iterable[Any] = item.values()
        elif isinstance(item, list):
            values = item
        else:
            continue
        for sub in values:
            if isinstance(sub, dict | list):
                stack.append(sub)
    return refs

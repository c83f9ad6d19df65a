"""Whether an event's JSON schema may replace its committed one inside the same topic version.

Inside a `vN` producers and consumers of either schema read each other's messages, so the only
change allowed is a new optional field in an object that lets unknown fields through (consumers
ignore what they do not know). Everything else is reported:

- a new required field, or a field that was optional and is now required;
- a removed field, or a field that was required and is now optional (a producer may then leave
  it out, and consumers of the committed schema refuse the message);
- a changed type, string format or pattern (a union gaining or losing a member included);
- an enum (or const) losing a value, and an enum gaining one (old consumers refuse it);
- a new field in an object closed to unknown fields (`additionalProperties: false`), and an
  open object becoming closed.

Titles, descriptions, examples, defaults and length bounds are not compared. Union members are
matched by JSON type, so two object members of one union are compared as one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

Schema = Mapping[str, Any]


def incompatibilities(committed: Schema, current: Schema) -> list[str]:
    """Each reason `current` may not replace `committed` in the same vN; empty when it may."""
    walker = _Walker(committed, current)
    walker.compare(committed, current, "$")
    return walker.problems


class _Walker:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self._roots = (old_root, new_root)
        self._active: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        refs = (str(old.get("$ref", "")), str(new.get("$ref", "")))
        if all(refs) and refs in self._active:
            return  # a recursive definition already being compared further up
        if all(refs):
            self._active.add(refs)
        try:
            self._compare_variants(_variants(old, self._roots[0]), _variants(new, self._roots[1]), path)
        finally:
            self._active.discard(refs)

    def _compare_variants(self, old: list[Schema], new: list[Schema], path: str) -> None:
        old_kinds = {_kind(v): v for v in old}
        new_kinds = {_kind(v): v for v in new}
        if set(old_kinds) != set(new_kinds):
            self.problems.append(
                f"{path}: type changed from {_kinds_text(old_kinds)} to {_kinds_text(new_kinds)}"
            )
        for kind in sorted(set(old_kinds) & set(new_kinds)):
            self._compare_variant(old_kinds[kind], new_kinds[kind], path)

    def _compare_variant(self, old: Schema, new: Schema, path: str) -> None:
        self._compare_enum(old, new, path)
        if old.get("pattern") != new.get("pattern"):
            self.problems.append(
                f"{path}: pattern changed from {old.get('pattern')!r} to {new.get('pattern')!r}"
            )
        if _kind(old) == "object":
            self._compare_object(old, new, path)
        elif _kind(old) == "array":
            self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]")

    def _compare_enum(self, old: Schema, new: Schema, path: str) -> None:
        old_values, new_values = _enum(old), _enum(new)
        if old_values == new_values:
            return
        if new_values is not None and (old_values is None or old_values - new_values):
            lost = "any value" if old_values is None else ", ".join(sorted(old_values - new_values))
            self.problems.append(f"{path}: enum narrowed (no longer allows {lost})")
        if old_values is not None and (new_values is None or new_values - old_values):
            gained = "any value" if new_values is None else ", ".join(sorted(new_values - old_values))
            self.problems.append(
                f"{path}: enum widened (now allows {gained}, which consumers of the committed schema refuse)"
            )

    def _compare_object(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Mapping[str, Schema] = old.get("properties", {})
        new_props: Mapping[str, Schema] = new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name in sorted(set(old_props) - set(new_props)):
            self.problems.append(f"{path}.{name}: field removed")
        for name in sorted(new_required - old_required):
            what = "optional field became required" if name in old_props else "new required field"
            self.problems.append(f"{path}.{name}: {what}")
        for name in sorted((old_required - new_required) & set(new_props)):
            self.problems.append(f"{path}.{name}: required field became optional")
        closed = old.get("additionalProperties") is False
        for name in sorted(set(new_props) - set(old_props) - new_required):
            if closed:
                self.problems.append(
                    f"{path}.{name}: new field in an object closed to unknown "
                    "fields (consumers of the committed schema refuse it)"
                )
        for name in sorted(set(old_props) & set(new_props)):
            self.compare(old_props[name], new_props[name], f"{path}.{name}")
        self._compare_additional(old, new, path)

    def _compare_additional(self, old: Schema, new: Schema, path: str) -> None:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, f"{path}.*")
        elif new_extra is False and old_extra is not False:
            self.problems.append(f"{path}: object closed to fields it used to allow")
        elif isinstance(old_extra, Mapping) != isinstance(new_extra, Mapping):
            self.problems.append(f"{path}: type of the values of a map changed")


def _resolve(schema: Schema, root: Schema) -> Schema:
    """`schema` with its local `$ref` (and single-member `allOf`) replaced by what it names."""
    seen: set[str] = set()
    while True:
        if "$ref" in schema:
            ref = str(schema["$ref"])
            if not ref.startswith("#/") or ref in seen:
                raise ValueError(f"cannot resolve $ref {ref!r}")
            seen.add(ref)
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            return schema


def _variants(schema: Schema, root: Schema) -> list[Schema]:
    """The members of a union (`anyOf`/`oneOf`, a list of types), each resolved; else itself."""
    schema = _resolve(schema, root)
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return [v for member in schema[key] for v in _variants(member, root)]
    if isinstance(schema.get("type"), list):
        return [{**schema, "type": t} for t in schema["type"]]
    return [schema]


def _kind(schema: Schema) -> str:
    kind = schema.get("type")
    if kind is None:
        values = _enum(schema)
        if values is not None:
            kind = "enum"
        elif "properties" in schema or "additionalProperties" in schema:
            kind = "object"
        elif "items" in schema:
            kind = "array"
        else:
            kind = "any"
    return f"{kind}({schema['format']})" if "format" in schema else str(kind)


def _kinds_text(kinds: Mapping[str, Schema]) -> str:
    return " | ".join(sorted(kinds)) or "nothing"


def _enum(schema: Schema) -> set[str] | None:
    if "const" in schema:
        return {json.dumps(schema["const"])}
    if isinstance(schema.get("enum"), list):
        return {json.dumps(value) for value in schema["enum"]}
    return None

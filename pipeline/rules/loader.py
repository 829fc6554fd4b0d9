"""Load a rule-pack YAML file: validate, cross-check, compile, or refuse with file, rule and line.

`load_pack` returns a new immutable `CompiledPack` or raises `RulePackError`; it never touches a pack
already in force, so a caller keeps serving with the old pack when a new one is refused.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipeline.rules.compile import compile_pack
from pipeline.rules.compiled import CompiledPack
from pipeline.rules.errors import PackProblem, RulePackError
from pipeline.yaml_lines import yaml_line
from schemas.rulepack import RulePack


def _rule_id(data: Any, index: int) -> str | None:
    try:
        rule_id = data["rules"][index]["id"]
    except (KeyError, IndexError, TypeError):
        return None
    return str(rule_id)


def _validation_problems(exc: ValidationError, data: Any, root: yaml.Node | None) -> list[PackProblem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        rule_id = None
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rule_id = _rule_id(data, loc[1])
        field = ".".join(str(part) for part in loc[2:] if not isinstance(part, int)) or ".".join(
            str(p) for p in loc
        )
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(PackProblem(rule_id, yaml_line(root, loc), f"{field}: {message}"))
    return problems


def _cross_check(pack: RulePack, root: yaml.Node | None) -> list[PackProblem]:
    """What single models cannot see: duplicate ids and `items_of` pointing nowhere or in a cycle."""
    problems = []
    ids = {rule.id for rule in pack.rules}
    by_id = {rule.id: rule for rule in pack.rules}
    first_line: dict[str, int | None] = {}
    for index, rule in enumerate(pack.rules):
        line = yaml_line(root, ("rules", index, "id"))
        if rule.id in first_line:
            problems.append(
                PackProblem(rule.id, line, f"duplicate rule id (first at line {first_line[rule.id]})")
            )
        first_line.setdefault(rule.id, line)
        for ref in rule.scope.items_of:
            scope_line = yaml_line(root, ("rules", index, "scope", "items_of"))
            if ref not in ids:
                problems.append(PackProblem(rule.id, scope_line, f"items_of names unknown rule {ref!r}"))
            elif ref == rule.id:
                problems.append(PackProblem(rule.id, scope_line, "items_of names the rule itself"))
            elif by_id[ref].scope.hs_codes_reference_only and not rule.scope.hs_codes_reference_only:
                reason = f"items_of names {ref!r}, whose customs codes are reference only: say so here too"
                problems.append(PackProblem(rule.id, scope_line, reason))
    return problems


def parse_pack(text: str, source: str) -> CompiledPack:
    """Validate and compile pack text; `source` names the file in errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RulePackError(source, [PackProblem(None, line, f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise RulePackError(source, [PackProblem(None, 1, "a rule pack is a mapping with version, rules")])
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        raise RulePackError(source, _validation_problems(exc, data, root)) from exc
    problems = _cross_check(pack, root)
    if problems:
        raise RulePackError(source, problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return compile_pack(pack, digest=digest, source=source)


def load_pack(path: Path) -> CompiledPack:
    """Read, validate and compile the pack at `path`, or raise `RulePackError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulePackError(path, [PackProblem(None, None, f"cannot read: {exc.strerror}")]) from exc
    return parse_pack(text, str(path))

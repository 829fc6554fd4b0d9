"""The one exception a refused rule pack raises, naming file, rule and line of every problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PackProblem:
    rule_id: str | None
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "line ?"
        rule = f"rule {self.rule_id}" if self.rule_id else "pack"
        return f"{where}, {rule}: {self.reason}"


class RulePackError(Exception):
    """A rule pack was refused; the pack in force, if any, stays in force."""

    def __init__(self, file: Path | str, problems: list[PackProblem]) -> None:
        self.file = str(file)
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else PackProblem(None, None, "unknown problem")
        self.rule_id = first.rule_id
        self.line = first.line
        self.reason = first.reason
        lines = [f"{self.file}: rule pack refused ({len(self.problems)} problem(s))"]
        lines.extend(f"  {self.file}:{p}" for p in self.problems)
        super().__init__("\n".join(lines))

"""The source line of a value in a YAML file, so a refused data file names the line at fault."""

from __future__ import annotations

import yaml


def yaml_line(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line a pydantic error location points at, following the node tree as far as it goes."""
    node = root
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
        if child is None:
            break
        node = child
    return None if node is None else node.start_mark.line + 1

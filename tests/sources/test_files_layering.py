"""The tailer's modules form no import circle, and following uses only the tailer's
public face (so the two can change apart)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

SOURCES = Path(__file__).resolve().parents[2] / "wftui" / "sources"


def test_no_import_circle_between_the_tailer_modules() -> None:
    graph = grimp.build_graph("wftui", exclude_type_checking_imports=False)
    tailer = {f"wftui.sources.{name}" for name in
              ("files", "filefollow", "filereader", "filestatus", "split")}
    for module in tailer:
        for other in tailer - {module}:
            there = graph.find_shortest_chain(importer=module, imported=other)
            back = graph.find_shortest_chain(importer=other, imported=module)
            assert not (there and back), f"circle: {there} and {back}"


def test_follow_reaches_into_no_private_part_of_the_tailer() -> None:
    tree = ast.parse((SOURCES / "filefollow.py").read_text())
    private = sorted({node.attr for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute)
                      and isinstance(node.value, ast.Name) and node.value.id == "tailer"
                      and node.attr.startswith("_")})
    assert private == []

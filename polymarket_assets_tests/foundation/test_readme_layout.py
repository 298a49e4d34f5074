"""The README's "Layout" section names every package and module of ``polymarket_assets/``.

The section is a tree: an entry is a name in the left 30 columns (``lake/``, ``settings.py``; nesting by
indentation), its description to the right, continued on lines whose left column is blank. A package must
have its own entry at its place in the tree; a module must be named in its package's entry, either as its
own entry (``settings.py``) or as a word of the package's description (``store``, ``s3``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "polymarket_assets"
COLUMN = 30  # where the descriptions start


@dataclass
class Entry:
    name: str
    indent: int
    text: str = ""
    children: dict[str, Entry] = field(default_factory=dict)


def layout_tree(readme: str) -> Entry:
    """The tree of the first code block of the "## Layout" section."""
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1].split("\n", 1)[1]
    root = Entry("", -1)
    stack = [root]
    for line in block.splitlines():
        if not line.strip():
            continue
        if line[:COLUMN].strip() == "":  # continuation of the entry above
            stack[-1].text += " " + line.strip()
            continue
        left = line[:COLUMN].rstrip()
        indent, names, text = len(left) - len(left.lstrip()), left.strip(), line[COLUMN:].strip()
        while stack[-1].indent >= indent:
            stack.pop()
        parent = stack[-1]
        entry = Entry(names, indent, text)
        for name in names.split(","):  # "doctor.py, cli.py" names two modules in one entry
            parent.children[name.strip()] = entry
        stack.append(entry)
    return root


def missing_from_layout(tree: Entry, package: Path = PACKAGE) -> list[str]:
    problems: list[str] = []

    def walk(directory: Path, entry: Entry) -> None:
        words = set(re.findall(r"[\w]+", entry.text))
        for child in sorted(directory.iterdir()):
            if child.name.startswith((".", "__pycache__")):
                continue
            rel = child.relative_to(package.parent).as_posix()
            if child.is_dir() and (child / "__init__.py").exists():
                sub = entry.children.get(child.name + "/")
                if sub is None:
                    problems.append(f"{rel}/: no entry")
                else:
                    walk(child, sub)
            elif child.suffix == ".py" and child.name not in ("__init__.py", "__main__.py"):
                if child.name not in entry.children and child.stem not in words:
                    problems.append(f"{rel}: not named in the entry of {directory.relative_to(package.parent).as_posix()}/")

    top = tree.children.get("polymarket_assets/")
    if top is None:
        return ["polymarket_assets/: no entry"]
    walk(package, top)
    return problems


def test_every_package_and_module_is_in_the_readme_layout() -> None:
    problems = missing_from_layout(layout_tree((ROOT / "README.md").read_text(encoding="utf-8")))
    assert problems == [], "README Layout section is missing:\n" + "\n".join(problems)


def test_the_layout_check_sees_a_missing_module(tmp_path: Path) -> None:
    package = tmp_path / "polymarket_assets"
    (package / "lake").mkdir(parents=True)
    for path in ("__init__.py", "settings.py", "cli.py", "lake/__init__.py", "lake/store.py", "lake/s3.py"):
        (package / path).write_text("")
    readme = (
        "## Layout\n\n```\n"
        "polymarket_assets/            the code\n"
        "  settings.py                 settings\n"
        "  lake/                       store (the lake)\n"
        "```\n"
    )
    assert missing_from_layout(layout_tree(readme), package) == [
        "polymarket_assets/cli.py: not named in the entry of polymarket_assets/",
        "polymarket_assets/lake/s3.py: not named in the entry of polymarket_assets/lake/",
    ]

"""The machinery outside ``polymarket_assets/defs/`` never imports from it (``defs/`` holds only definitions).

Every module is parsed (``ast``), and every way of reaching ``defs`` counts: ``import polymarket_assets.defs…``,
``from polymarket_assets.defs… import``, ``from polymarket_assets import defs``, relative imports resolved
against the module's package (``from ..defs import x``, ``from . import defs``), and string module names given
to ``importlib.import_module`` / ``__import__`` / ``importlib.util.find_spec``. The one exception is
``polymarket_assets/definitions.py``, which loads the folder (``dg.load_from_defs_folder``).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "polymarket_assets"
DEFS = "polymarket_assets.defs"
ALLOWED = {"polymarket_assets/definitions.py"}
_IMPORT_CALLS = {"import_module", "__import__", "find_spec"}


def _is_defs(module: str) -> bool:
    return module == DEFS or module.startswith(DEFS + ".")


def _module_name(path: Path) -> tuple[str, bool]:
    """Dotted name of ``path`` under the repo, and whether it is a package ``__init__``."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of ``from <level dots><name> import …`` written in ``module``."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def defs_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every reference to ``polymarket_assets.defs`` in ``source`` (the code of ``module``): ``line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if _is_defs(a.name)]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, is_package, node.level, node.module) if node.level else (node.module or "")
            if _is_defs(target):
                found.append(f"{node.lineno}: from {target} import …")
            else:
                found += [f"{node.lineno}: from {target} import {a.name}" for a in node.names if _is_defs(f"{target}.{a.name}")]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name in _IMPORT_CALLS and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                text = node.args[0].value
                package = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
                if text.startswith(".") and isinstance(package, str):  # import_module(".defs", "polymarket_assets")
                    level = len(text) - len(text.lstrip("."))
                    text = _resolve(package, True, level, text.lstrip(".") or None)
                if _is_defs(text):
                    found.append(f"{node.lineno}: {name}({text!r})")
    return found


def test_the_checker_sees_every_form_of_import() -> None:
    """Synthetic modules: each form is caught, and look-alikes (``defs_x``, a docstring) are not."""
    forms = {
        "import polymarket_assets.defs.bronze.trades": 1,
        "from polymarket_assets.defs.bronze import trades": 1,
        "from polymarket_assets import defs": 1,
        "from ..defs.bronze import trades": 1,  # in polymarket_assets/bronze/rows.py
        "from .. import defs": 1,
        "import importlib\nimportlib.import_module('polymarket_assets.defs.silver.assets')": 1,
        "__import__('polymarket_assets.defs')": 1,
        "import importlib\nimportlib.import_module('.defs', 'polymarket_assets')": 1,
        "from polymarket_assets import definitions_helpers, defs_x": 0,
        "from ..bronze import defs_like": 0,
        '"""see polymarket_assets.defs for the assets"""': 0,
    }
    for source, expected in forms.items():
        assert len(defs_imports(source, "polymarket_assets.bronze.rows")) == expected, source
    assert defs_imports("from . import defs", "polymarket_assets", is_package=True) == ["1: from polymarket_assets import defs"]


def test_nothing_outside_defs_imports_from_defs() -> None:
    offenders: dict[str, list[str]] = {}
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith("polymarket_assets/defs/") or rel in ALLOWED:
            continue
        checked += 1
        module, is_package = _module_name(path)
        found = defs_imports(path.read_text(), module, is_package)
        if found:
            offenders[rel] = found
    assert checked > 100  # every module of the package was read
    assert offenders == {}, offenders

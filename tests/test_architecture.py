"""The layers of docs/architecture.md hold in the code: no module imports a higher layer.

The table of layers is read from the document, so the document and the code cannot drift apart
silently; every import counts, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "graphaudit"
ROW = re.compile(r"^\|\s*(\d+)\.[^|]*\|([^|]*)\|")


def layers() -> dict[str, int]:
    """Entry (a module or package under graphaudit, or ``graphaudit`` itself) -> its layer."""
    table: dict[str, int] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            for name in re.findall(r"`([\w.]+)`", match[2]):
                table[name] = int(match[1])
    return table


def entry(module: str) -> str:
    """The layer table's entry of a dotted module name: ``graphaudit.linkage.levels`` ->
    ``linkage``, ``graphaudit`` -> ``graphaudit``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, imported graphaudit module) for every import in the file of the package under
    ``root``, relative ones resolved."""
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                if node.module:
                    found.append((node.lineno, ".".join([*base, node.module])))
                else:  # from . import x: x is a module of that package (or a name of it)
                    found += [(node.lineno, ".".join([*base, a.name])) for a in node.names]
            elif node.module and node.module.split(".")[0] == "graphaudit":
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names
                      if a.name.split(".")[0] == "graphaudit"]
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    table = layers()
    assert len(set(table.values())) >= 10, table
    missing = {entry(".".join(p.relative_to(ROOT).with_suffix("").parts)) for p in modules()}
    missing -= set(table) | {"__init__"}
    assert not missing, f"modules without a layer in docs/architecture.md: {sorted(missing)}"
    gone = [name for name in table if name != "graphaudit" and not (
        (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists())]
    assert not gone, f"docs/architecture.md lists modules that do not exist: {gone}"


def test_no_module_imports_a_higher_layer():
    table = layers()
    wrong = []
    for path in modules():
        own = entry(".".join(path.relative_to(ROOT).with_suffix("").parts))
        own = "graphaudit" if own == "__init__" else own
        for line, target in imports(path):
            name = entry(target)
            if name in table and own in table and table[name] > table[own]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({own}, layer {table[own]}) "
                             f"imports {target} (layer {table[name]})")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path):
    """The rule can fail: an import of the report inside a function of a lower module is
    found, as the analysis -> report import that made a cycle was."""
    package = tmp_path / "graphaudit"
    package.mkdir()
    source = package / "analysis.py"
    source.write_text("from .linkage import x\n\ndef f():\n    from .report.data import y\n"
                      "    from . import results\n", encoding="utf-8")
    found = imports(source, tmp_path)
    assert found == [(1, "graphaudit.linkage"), (4, "graphaudit.report.data"),
                     (5, "graphaudit.results")]
    table = layers()
    assert table["report"] > table["analysis"] and table["results"] > table["analysis"]


def test_no_warning_is_silenced_in_the_package():
    """Warnings are never silenced (the fork-with-threads warning least of all): no
    ``simplefilter``/``filterwarnings`` of "ignore" anywhere in graphaudit."""
    silenced = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"simplefilter", "filterwarnings"}
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == "ignore"):
                silenced.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not silenced, silenced


#: private names of other libraries' public API (namedtuple methods, os._exit)
FOREIGN_PRIVATE = frozenset({"_replace", "_asdict", "_fields", "_make", "_exit"})


def private_uses(path: Path) -> list[tuple[int, str]]:
    """(line, name) for each private name the module takes from another module: ``from x
    import _name``, or ``something._name`` where the module itself defines no ``_name`` (so
    it reaches into another module's object)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
    private = re.compile(r"^_[^_]|^_$")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [(node.lineno, a.name) for a in node.names if private.match(a.name)]
        elif (isinstance(node, ast.Attribute) and private.match(node.attr)
              and node.attr not in own and node.attr not in FOREIGN_PRIVATE):
            found.append((node.lineno, node.attr))
    return found


def test_no_module_takes_a_private_name_of_another():
    """What modules share is public: a private name stays in its module (issue 14)."""
    wrong = [f"{path.relative_to(ROOT)}:{line} {name}"
             for path in modules() for line, name in private_uses(path)]
    assert not wrong, "\n".join(wrong)


def test_the_private_check_can_fail(tmp_path):
    source = tmp_path / "run.py"
    source.write_text("from .params import _TYPE_SPEC, Param\n"
                      "def f(store):\n    with store._translated('x'):\n        pass\n"
                      "class A:\n    def _mine(self):\n        return self._mine, A._mine\n",
                      encoding="utf-8")
    assert private_uses(source) == [(1, "_TYPE_SPEC"), (3, "_translated")]

"""emlib's layers: one concept a module, imported in one direction, with no cycle; every module has __all__."""

from __future__ import annotations

import ast
import pathlib
import re

import emlib

PACKAGE = pathlib.Path(emlib.__file__).parent

#: The layers, lowest first. A module may import only modules listed before it.
ORDER = [
    "_validation",
    "_progress",
    "_fast",
    "_bayes",
    "params",
    "_missing",
    "datasets",
    "expectation",
    "_regularisation",
    "priors",
    "maximization",
    "sufficient",
    "bound",
    "gradient",
    "information",
    "model",
    "result",
    "stopping",
    "drivers",
    "variants",
    "gaussian_mixture",
    "missing",
    "binomial",
    "poisson",
    "linkage",
    "factor_analysis",
    "_units",
    "_kmeans",
    "starts",
    "blockwise",
    "fit",
    "student_t",
    "variational",
    "hmm",
    "hmm_fit",
    "selection",
    "plotting",
    "estimator",
    "symbolic",
    "__init__",
]


def _module_name(path: pathlib.Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0] if relative.parts[0] == "datasets" else ".".join(relative.parts)


def _imports(path: pathlib.Path) -> set[str]:
    """The emlib modules a file imports (relative imports, at any depth)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = (node.module or "").split(".")[0]
            if node.level == 2 or (path.parent.name == "datasets" and node.level == 1):
                base = base if node.level == 2 else "datasets"
            names = [base] if base else [alias.name for alias in node.names]
            found.update(names)
    return found


def test_every_module_is_in_a_layer_and_imports_only_below_itself():
    modules = sorted(PACKAGE.rglob("*.py"))
    names = {_module_name(path) for path in modules}
    assert names <= set(ORDER), f"modules missing from ORDER: {names - set(ORDER)}"
    for path in modules:
        name = _module_name(path)
        for imported in _imports(path) - {name}:
            assert imported in ORDER, f"{path.name} imports unknown module {imported}"
            assert ORDER.index(imported) < ORDER.index(name), f"{name} imports {imported}, which is not below it"


def test_every_module_declares_all():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        declared = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
        ]
        annotated = [
            node
            for node in tree.body
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "__all__"
        ]
        assert declared or annotated, f"{path.relative_to(PACKAGE)} has no __all__"


def test_public_names_are_documented():
    for name in emlib.__all__:
        value = getattr(emlib, name)
        assert (value.__doc__ or "").strip(), f"emlib.{name} has no docstring"


def test_the_readme_layout_table_matches_the_tree():
    root = PACKAGE.parent
    readme = (root / "README.md").read_text()
    layout = readme[readme.index("## Layout") : readme.index("## Using emlib")]
    listed = set(re.findall(r"^\| `([^`]+)`", layout, flags=re.MULTILINE))
    expected = {f"emlib/{path.name}" for path in PACKAGE.glob("*.py") if path.name != "__init__.py"}
    expected |= {"emlib/datasets/"} | {
        f"scripts/{path.name}" for path in (root / "scripts").iterdir() if path.is_file()
    }
    assert expected <= listed, f"missing from the README's layout table: {sorted(expected - listed)}"
    stale = {path for path in listed if path.startswith(("emlib/", "scripts/")) and not (root / path).exists()}
    assert not stale, f"the README's layout table lists paths that do not exist: {sorted(stale)}"

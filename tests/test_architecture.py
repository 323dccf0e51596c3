"""Guards of the architecture that a reviewer would otherwise have to remember."""

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "missimo"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _is_application_import(name: str) -> bool:
    if name == "django" or name.startswith("django."):
        return True
    return name.startswith("missimo.") and not name.startswith(("missimo.engine", "missimo.synth"))


def test_the_engine_and_the_synthetic_city_never_import_django_or_the_application():
    offenders = [
        f"{path.relative_to(SRC)}: {name}"
        for folder in ("engine", "synth")
        for path in (SRC / folder).rglob("*.py")
        for name in _imports(path)
        if _is_application_import(name)
    ]
    assert offenders == []

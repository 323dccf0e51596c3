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


# --- the layers of the application (see also the import-linter contracts in pyproject.toml) -----

PACKAGES = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists())
ROLE_NAMES = {"Role", "ROLES", "RoleSpec", "role_can", "roles_with", "role_sees_hint", "role_of_group"}


def _sources(exclude: tuple[str, ...] = ()):
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts or (rel.parts and rel.parts[0] in exclude):
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"))


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "missimo" else ""


def test_no_module_outside_accounts_names_a_role():
    """Who may do what is decided in accounts.policy; everybody else asks it by capability, scope or
    field (policy.can, policy.hint_filter, policy.sees_field ...), never by role or group name."""
    offenders = []
    for rel, tree in _sources(exclude=("accounts",)):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("missimo.accounts"):
                offenders += [
                    f"{rel}:{node.lineno} imports {a.name}" for a in node.names if a.name in ROLE_NAMES
                ]
            elif isinstance(node, ast.Attribute) and node.attr in ROLE_NAMES:
                offenders.append(f"{rel}:{node.lineno} uses .{node.attr}")
            elif isinstance(node, ast.Name) and node.id in ROLE_NAMES:
                offenders.append(f"{rel}:{node.lineno} uses {node.id}")
            elif isinstance(node, ast.keyword) and (node.arg or "").startswith("groups__"):
                offenders.append(f"{rel}:{node.lineno} looks up users by group ({node.arg})")
            elif isinstance(node, ast.Attribute) and node.attr in ("has_role", "roles"):
                offenders.append(f"{rel}:{node.lineno} reads a user's roles")
    assert offenders == []


def test_no_module_outside_accounts_spells_a_role_code_or_label():
    """Nor as a string: a role's code (where it is not also an agency kind's, which routes data) or its
    German label written out elsewhere would be a second, unchecked copy of the policy."""
    from missimo.accounts.policy import AgencyKind, Role

    kinds = {str(kind.value) for kind in AgencyKind} | {str(kind.label) for kind in AgencyKind}
    spelled = ({role.value for role in Role} | {role.label for role in Role}) - kinds - set(PACKAGES)
    offenders = [
        f"{rel}:{node.lineno} spells {node.value!r}"
        for rel, tree in _sources(exclude=("accounts",))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in spelled
    ]
    assert offenders == []


def test_no_package_imports_another_inside_a_function():
    """Dependencies between apps are visible at the top of each module (and checked as layers)."""
    offenders = []
    for rel, tree in _sources():
        if len(rel.parts) < 2:
            continue  # the composition roots (cli, demo, settings, urls) set Django up first
        own = rel.parts[0]
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and not node.level:
                    modules = [node.module or ""]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                else:
                    continue
                for module in modules:
                    package = _package_of(module)
                    if package and package != own:
                        offenders.append(f"{rel}:{node.lineno} imports {module} inside {function.name}()")
    assert offenders == []


def test_the_layer_contract_names_every_app_and_the_core():
    """A new app must be placed in a layer (pyproject.toml, [tool.importlinter])."""
    import tomllib

    config = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    layered = {app.strip() for layer in contracts["layers"]["layers"] for app in layer.split("|")}
    assert layered == set(PACKAGES) - {"engine", "synth", "static", "locale", "formats"}


def test_only_the_engine_reads_snapshots_and_run_stores():
    """The application asks the engine (`from missimo import engine`) what a snapshot or a run's
    analysis store holds; no app opens DuckDB itself, so a snapshot is interpreted in one place."""
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] not in ("engine", "synth")
        and any(name == "duckdb" or name.startswith("duckdb.") for name in _imports(path))
    ]
    assert offenders == []

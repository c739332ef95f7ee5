"""The README's built-in role tables must say what org/roles.py grants."""

from pathlib import Path

from trellis.org.roles import ACTIONS, BUILTIN_ROLES, ENTITIES, PRIVILEGES

README = Path(__file__).resolve().parents[2] / "README.md"
CODES = {"none": "-", "own": "o", "unit": "u", "subtree": "s", "org": "*"}


def table_rows(header: str) -> dict[str, list[str]]:
    """Rows (role -> cells) of the README table whose header line starts with `header`."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_the_readme_entity_table_matches_the_builtin_roles():
    rows = table_rows("| Role | " + " | ".join(ENTITIES) + " |")
    expected = {
        name: [
            "".join(CODES[permissions.get(entity, {}).get(action, "none")] for action in ACTIONS)
            for entity in ENTITIES
        ]
        for name, (_d, _f, permissions, _p) in BUILTIN_ROLES.items()
    }
    assert rows == expected


def test_the_readme_privilege_table_matches_the_builtin_roles():
    rows = table_rows("| Role | " + " | ".join(PRIVILEGES) + " |")
    expected = {
        name: [CODES[privileges.get(privilege, "none")] for privilege in PRIVILEGES]
        for name, (_d, _f, _p, privileges) in BUILTIN_ROLES.items()
    }
    assert rows == expected

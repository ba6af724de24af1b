"""The unit dictionary: departments and groups as departments.toml and the built-in dictionary
(kb/units_builtin.toml) write them, read once.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import DataFileError

BUILTIN = Path(__file__).with_name("units_builtin.toml")


@dataclass
class Department:
    """A responsible unit as the registry knows it."""

    name: str
    full: str = ""
    aliases: list[str] = field(default_factory=list)
    issuers: list[str] | None = None

    def names(self) -> list[str]:
        """Every spelling of this department, canonical first."""
        seen = []
        for n in [self.name, self.full, *self.aliases]:
            if n and n not in seen:
                seen.append(n)
        return seen

    def to_dict(self) -> dict:
        return {"name": self.name, "full": self.full, "aliases": list(self.aliases)}


@dataclass
class Group:
    """A set of units named as one (妇儿工委各成员单位): every member shares its duties."""

    name: str
    aliases: list[str] = field(default_factory=list)
    members: list[str] | None = None  # None: every department of the registry

    def names(self) -> list[str]:
        return [self.name, *[a for a in self.aliases if a != self.name]]


def read_registry(path: Path) -> tuple[list[Department], list[Group]]:
    """Departments and groups of one registry file; a malformed file raises DataFileError naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: 部门名录格式错误：{exc}") from None
    except OSError as exc:
        raise DataFileError(f"{path}: 无法读取部门名录：{exc.strerror or exc}") from None
    deps = _read_departments(path, data.get("department", []), "department")
    groups = []
    for i, entry in enumerate(data.get("group", []), 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise DataFileError(f"{path}: 第 {i} 个 [[group]] 缺少 name")
        members = entry.get("members", "*")
        groups.append(
            Group(
                name=name.strip(),
                aliases=[str(a).strip() for a in entry.get("aliases", [])],
                members=None if members == "*" else list(members),
            )
        )
    return deps, groups


def _read_departments(path: Path, entries, table: str) -> list[Department]:
    deps = []
    for i, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise DataFileError(f"{path}: 第 {i} 个 [[{table}]] 缺少 name")
        issuers = entry.get("issuers")
        deps.append(
            Department(
                name=name.strip(),
                full=str(entry.get("full", "")).strip(),
                aliases=[str(a).strip() for a in entry.get("aliases", []) if str(a).strip()],
                issuers=[issuers] if isinstance(issuers, str) else issuers,
            )
        )
    return deps


@functools.lru_cache(maxsize=1)
def national_units() -> tuple[frozenset[str], dict[str, str]]:
    """National units (level 国家) of the built-in dictionary: every spelling; the spellings national documents use."""
    data = tomllib.loads(BUILTIN.read_text(encoding="utf-8"))
    spellings: set[str] = set()
    short: dict[str, str] = {}
    for entry in data.get("national", []):
        names = [entry["name"], entry.get("full", ""), *entry.get("aliases", [])]
        spellings.update(n for n in names if n)
        for n in names + list(entry.get("national_aliases", [])):
            if n:
                short.setdefault(n, entry["name"])
    return frozenset(spellings), short


def national_names() -> frozenset[str]:
    """Every spelling of a national unit (教育部, 国家统计局, 中国人民银行 …)."""
    return national_units()[0]


@functools.lru_cache(maxsize=1)
def builtin_dictionary() -> tuple[tuple[Department, ...], tuple[Group, ...], tuple[str, ...]]:
    """The built-in dictionary (kb/units_builtin.toml): departments, groups, party department names."""
    deps, groups = read_registry(BUILTIN)
    data = tomllib.loads(BUILTIN.read_text(encoding="utf-8"))
    deps += _read_departments(BUILTIN, data.get("national", []), "national")
    party = []
    for entry in data.get("party", []):
        party.append(entry["name"])
        party += [a for a in entry.get("aliases", []) if not a.startswith("委")]
    return tuple(deps), tuple(groups), tuple(party)


def names_of(d: Department) -> tuple[str, ...]:
    return _spellings_of(d.name, d.full, tuple(d.aliases))


@functools.lru_cache(maxsize=4096)
def _spellings_of(name, full, aliases) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in (name, full, *aliases) if n))


@functools.lru_cache(maxsize=1)
def builtin_exact() -> dict[str, str]:
    """Spelling → short name over the built-in dictionary (copied by each registry)."""
    out: dict[str, str] = {}
    for d in builtin_dictionary()[0]:
        for n in names_of(d):
            out.setdefault(n, d.name)
    return out


@functools.lru_cache(maxsize=1)
def builtin_by_name() -> dict[str, Department]:
    return {d.name: d for d in builtin_dictionary()[0]}

"""The department registry: canonical short names, full names, aliases, groups, per issuer."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import DataFileError, UnknownDepartment

# Characters that make a name look like an organisation, used to tell a
# department tag from an ordinary bracketed remark and to flag unknown units.
ORG_SUFFIXES = ("局", "委", "部", "会", "办", "院", "联", "站", "处", "所", "中心", "单位", "团", "协", "厅", "室", "队", "司", "署")
PREFIXES = ("县委", "县", "市", "省")


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


class Registry:
    """Resolves department names for one issuer (or for all, when issuer is None)."""

    def __init__(self, departments, groups, issuer=None, source="departments.toml"):
        self.issuer = issuer
        self.source = source
        self._every = list(departments)  # before the issuer filter, for for_issuer()
        self.departments: list[Department] = [
            d for d in departments if issuer is None or not d.issuers or issuer in d.issuers
        ]
        self.groups: list[Group] = list(groups)
        self._exact: dict[str, str] = {}
        for d in self.departments:
            for n in d.names():
                self._exact.setdefault(n, d.name)
        self._groups = {n: g for g in self.groups for n in g.names()}
        self._by_name = {d.name: d for d in self.departments}

    # -- loading ---------------------------------------------------------
    @classmethod
    def load(cls, path, issuer=None) -> "Registry":
        """Read the registry file; a malformed file raises DataFileError naming it."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise DataFileError(f"{path}: 部门名录文件不存在") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataFileError(f"{path}: 部门名录格式错误：{exc}") from None
        deps, groups = [], []
        for i, entry in enumerate(data.get("department", []), 1):
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name.strip():
                raise DataFileError(f"{path}: 第 {i} 个 [[department]] 缺少 name")
            issuers = entry.get("issuers")
            deps.append(
                Department(
                    name=name.strip(),
                    full=str(entry.get("full", "")).strip(),
                    aliases=[str(a).strip() for a in entry.get("aliases", []) if str(a).strip()],
                    issuers=[issuers] if isinstance(issuers, str) else issuers,
                )
            )
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
        return cls(deps, groups, issuer=issuer, source=str(path))

    def for_issuer(self, issuer) -> "Registry":
        """The registry as it applies to the plans of one issuer."""
        return Registry(self._every, self.groups, issuer=issuer, source=self.source)

    # -- resolving -------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """Canonical name of a department spelling, or None when unknown."""
        name = _clean(name)
        if not name:
            return None
        if name in self._exact:
            return self._exact[name]
        for prefix in PREFIXES:
            if name.startswith(prefix) and name[len(prefix):] in self._exact:
                return self._exact[name[len(prefix):]]
            if name.startswith(prefix) and prefix + name[len(prefix):] in self._exact:
                return self._exact[prefix + name[len(prefix):]]
        return None

    def group(self, name: str) -> Group | None:
        """The group a name denotes (妇儿工委各成员单位), or None."""
        return self._groups.get(_clean(name))

    def is_group(self, name: str) -> bool:
        return self.group(name) is not None

    def members(self, group_name: str) -> list[str]:
        g = self.group(group_name)
        if g is None:
            return []
        if g.members is None:
            return [d.name for d in self.departments]
        return [m for m in (self.resolve(x) for x in g.members) if m]

    def get(self, canonical: str) -> Department | None:
        return self._by_name.get(canonical)

    def partial(self, text: str) -> list[str]:
        """Departments whose names contain text (生态环境局 → 市生态环境局镇原县分局)."""
        text = _clean(text)
        if len(text) < 2:
            return []
        hits = []
        for d in self.departments:
            if any(text in n for n in d.names()) and d.name not in hits:
                hits.append(d.name)
        return hits

    def lookup(self, name: str) -> str:
        """Canonical name from a canonical, full, alias or unambiguous partial name."""
        canonical = self.resolve(name)
        if canonical:
            return canonical
        part = self.partial(name)
        if len(part) == 1:
            return part[0]
        raise UnknownDepartment(name, part or self.suggest(name))

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """The closest known names, for “did you mean”."""
        spellings = {s: d.name for d in self.departments for s in d.names()}
        close = difflib.get_close_matches(_clean(name), list(spellings), n=n * 2, cutoff=0.3)
        out = []
        for s in close:
            if spellings[s] not in out:
                out.append(spellings[s])
        if not out:
            chars = set(_clean(name))
            scored = sorted(
                self.departments, key=lambda d: -max(len(chars & set(s)) for s in d.names())
            )
            out = [d.name for d in scored if chars & set("".join(d.names()))][:n]
        return out[:n]

    def spellings(self) -> list[tuple[str, str]]:
        """(spelling, canonical) pairs, longest spelling first, for scanning text."""
        pairs = {(s, d.name) for d in self.departments for s in d.names() if len(s) >= 2}
        return sorted(pairs, key=lambda p: (-len(p[0]), p[0]))

    def mentioned_in(self, text: str, boundaries: set[int] | None = None) -> list[str]:
        """Departments named in running text, longest spelling wins where names overlap.

        :param boundaries: word boundaries (offsets) from a segmenter; when given, a
            two-character spelling must start and end on one (科协 is not in 学科协作).
        """
        taken = [False] * len(text)
        found = []
        for spelling, canonical in self.spellings():
            start = 0
            while True:
                i = text.find(spelling, start)
                if i < 0:
                    break
                cuts_word = boundaries is not None and len(spelling) <= 2 and not (i in boundaries and i + len(spelling) in boundaries)
                if not cuts_word and not any(taken[i : i + len(spelling)]):
                    for j in range(i, i + len(spelling)):
                        taken[j] = True
                    if canonical not in found:
                        found.append(canonical)
                start = i + 1
        return found

    def looks_like_unit(self, name: str) -> bool:
        """True when a name reads like an organisation even if the registry lacks it."""
        name = _clean(name)
        return 2 <= len(name) <= 24 and name.endswith(ORG_SUFFIXES) and "。" not in name


def _clean(name: str) -> str:
    return re.sub(r"\s+", "", name or "").strip("（）()、，,；;：:")

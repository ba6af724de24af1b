"""Responsible units: a built-in dictionary, a corpus's own departments.toml on top, jurisdictions.

A unit is known by its jurisdiction and its name. Within one plan, a name without a level prefix is
a unit of the plan's own jurisdiction; 市卫健委 in a county plan is the city's, 省妇联 the province's.
Names are given relative to the county level: a county's own units keep their short name (卫健局),
a city's or province's carry their level (市卫健委, 省妇联), so units of different levels never merge.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from kb.errors import UnknownDepartment
from kb.unit_dictionary import (
    BUILTIN,
    Department,
    Group,
    builtin_by_name,
    builtin_dictionary,
    builtin_exact,
    names_of,
    national_names,
    national_units,
    read_registry,
)
from kb.unit_mentions import UnitMentions

__all__ = ["BUILTIN", "Department", "Group", "Registry", "national_names"]

# Characters that make a name look like an organisation, used to tell a
# department tag from an ordinary bracketed remark and to flag unknown units.
ORG_SUFFIXES = ("局", "委", "部", "会", "办", "院", "联", "站", "处", "所", "中心", "单位", "团", "协", "厅", "室", "队", "司", "署")
# Level prefixes as plans write them, longest first, and the level each one names.
LEVEL_PREFIXES = (("自治区", "省"), ("自治州", "市"), ("省", "省"), ("市", "市"), ("州", "市"), ("盟", "市"), ("县", "县"), ("区", "县"), ("旗", "县"))
PARTY_PREFIXES = (("省委", "省"), ("市委", "市"), ("州委", "市"), ("县委", "县"), ("区委", "县"))
LEVEL_MARK = {"省": "省", "市": "市", "县": ""}
# Words that begin with a level character without being a level prefix (市场监管…, 县直机关…).
NOT_PREFIXES = ("市场", "市政", "市民", "县直", "县委", "县级", "区域", "州委", "省委", "市委")
# Names that carry their level in themselves (团市委, 全国妇联) are never prefixed again.
RE_FIXED_LEVEL = re.compile(r"^(团[县市省]委|团中央|全国|中国|中华全国|[省市县区州]委)")


class Registry(UnitMentions):
    """Resolves unit names for the plans of one issuer and level (or for all, when issuer is None).

    The departments are the corpus's own (departments.toml, which wins) followed by the built-in
    dictionary's. ``resolve`` returns a unit's name relative to the county level (see the module doc).
    """

    def __init__(self, departments, groups, issuer=None, source="departments.toml", *, level=None, builtin=None, members=None):
        self.issuer = issuer
        self.level = level
        self.source = source
        self._every = list(departments)  # before the issuer filter, for for_issuer()
        self._builtin = builtin  # (departments, groups, party names) of the built-in dictionary, or None
        own = [d for d in departments if issuer is None or not d.issuers or issuer in d.issuers]
        self._exact: dict[str, str] = {}
        self._issuer_exact: dict[str, str] = {}  # entries written for this issuer alone
        for d in own:
            for n in d.names():
                self._exact.setdefault(n, d.name)
                if d.issuers and issuer in d.issuers:
                    self._issuer_exact.setdefault(n, d.name)
        self._builtin_exact: dict[str, str] = builtin_exact() if builtin else {}
        extra = []
        if builtin:
            for d in builtin[0]:
                if d.name not in self._exact:
                    extra.append(d)
                    for n in names_of(d):
                        self._exact.setdefault(n, d.name)
        self.departments: list[Department] = own + extra
        self.groups: list[Group] = list(groups) + [g for g in (builtin[1] if builtin else []) if g.name not in {x.name for x in groups}]
        self._party = set(builtin[2]) if builtin else set()
        self._groups = {}
        for g in self.groups:
            for n in g.names():
                self._groups.setdefault(n, g)
        self._by_name = {d.name: d for d in self.departments}
        self._members = members  # units of one document: what a group with members = "*" stands for
        # Registries never change once made: answers are remembered (duty counts ask them per clause).
        self._group_memo: dict[str, Group | None] = {}
        self._level_memo: dict[str, str] = {}
        self._members_memo: dict[str, list[str]] = {}

    # -- loading ---------------------------------------------------------
    @classmethod
    def load(cls, path=None, issuer=None) -> Registry:
        """The built-in dictionary with a corpus's departments.toml on top (when the file exists).

        A malformed file raises DataFileError naming it; a missing one is no error.
        """
        deps: list[Department] = []
        groups: list[Group] = []
        if path is not None and Path(path).exists():
            deps, groups = read_registry(Path(path))
        return cls(deps, groups, issuer=issuer, source=str(path or BUILTIN), builtin=builtin_dictionary())

    def for_issuer(self, issuer, level=None) -> Registry:
        """The registry as it applies to the plans of one issuer (and level: 县, 市, 省)."""
        return Registry(self._every, self._own_groups(), issuer=issuer, source=self.source, level=level, builtin=self._builtin)

    def for_document(self, issuer, level, units) -> Registry:
        """for_issuer, with the units one document names standing for its groups' members."""
        return Registry(self._every, self._own_groups(), issuer=issuer, source=self.source, level=level, builtin=self._builtin, members=list(units))

    def _own_groups(self):
        builtin = set(id(g) for g in (self._builtin[1] if self._builtin else []))
        return [g for g in self.groups if id(g) not in builtin]

    # -- levels ----------------------------------------------------------
    @property
    def own_level(self) -> str:
        """The level whose units this registry's plans name without a prefix."""
        return self.level if self.level in ("省", "市") else "县"

    def _qualify(self, level: str, name: str) -> str:
        """A unit name relative to the county level: 卫健局 (own county), 市卫健委, 省妇联."""
        if not LEVEL_MARK.get(level) or RE_FIXED_LEVEL.match(name) or self._is_qualified(name) or name in national_units()[0]:
            return name
        return LEVEL_MARK[level] + name

    def _is_qualified(self, name: str) -> bool:
        return name[:1] in ("省", "市") and (name[1:] in self._builtin_exact or name[1:] in self._exact or name[1:] in self._groups)

    def level_of(self, name: str) -> str:
        """The level of a unit name as ``resolve`` gives it: 省, 市 or 县."""
        if name not in self._level_memo:
            self._level_memo[name] = self._level_of(name)
        return self._level_memo[name]

    def _level_of(self, name: str) -> str:
        name = _clean(name)
        if name in national_units()[0]:
            return "国家"
        for prefix, level in PARTY_PREFIXES:
            if name.startswith(prefix):
                return level
        if self._is_qualified(name):
            return "省" if name[0] == "省" else "市"
        m = RE_FIXED_LEVEL.match(name)
        if m and m.group(0).startswith("团"):
            return {"县": "县", "市": "市", "省": "省"}.get(m.group(0)[1], "国家")
        if m and m.group(0).startswith(("全国", "中国", "中华全国")):
            return "国家"
        if name not in self._exact and not name.startswith(NOT_PREFIXES) and not self._branch(name):
            # A unit no dictionary knows keeps the level it is written with (省儿童医院, 市…大队).
            written = (lv for prefix, lv in LEVEL_PREFIXES if name.startswith(prefix) and len(name) > len(prefix) + 1)
            return next(written, "县")
        return "县"

    def unknown_name(self, name: str) -> str:
        """The name a unit no dictionary knows is kept under: without its own jurisdiction's prefix.

        县文明办 and 镇原县文明办 in a county's plan are its 文明办, as 县卫健局 is its 卫健局; a unit of
        another level keeps its prefix (省儿童医院), and a short rest keeps it too (县医院); in a city's
        or province's plan an unprefixed name is that level's (青少年宫 → 市青少年宫), as for known units.
        """
        name = _clean_keep(name)
        prefixes = [*sorted(self._issuer_stems(), key=len, reverse=True)]
        prefixes += [p for p, level in LEVEL_PREFIXES if level == self.own_level]
        for prefix in prefixes:
            rest = name[len(prefix):]
            if name.startswith(prefix) and len(rest) >= 3 and not name.startswith(NOT_PREFIXES):
                return self._qualify(self.own_level, rest)
        if name.startswith(tuple(p for p, _ in LEVEL_PREFIXES)) and not name.startswith(NOT_PREFIXES):
            return name
        return self._qualify(self.own_level, name)  # 青少年宫 in a city's plan is the city's

    # -- resolving -------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """A unit's name (see the module doc) from any spelling, or None when it is not a known unit."""
        name = _clean(name)
        if not name:
            return None
        if self.level == "国家" and name in national_units()[1]:
            return national_units()[1][name]
        canonical = self._canonical(name, self.own_level)
        if canonical:
            return self._qualify(self.own_level, canonical)
        if name in self._party:
            return self._party_unit(self.own_level, name)
        branch = self._branch(name)
        if branch:
            return branch
        for stem in self._issuer_stems():
            if name.startswith(stem) and len(name) > len(stem) + 1:
                rest = self.resolve(name[len(stem):])
                if rest:
                    return rest
        for prefix, level in PARTY_PREFIXES:
            rest = name[len(prefix):]
            if name.startswith(prefix) and rest in self._party:
                return self._party_unit(level, rest)
        for prefix, level in LEVEL_PREFIXES:
            rest = name[len(prefix):]
            if not name.startswith(prefix) or len(rest) < 2:
                continue
            if rest in self._party:  # 县网信办: a party office written with the level alone
                return self._party_unit(level, rest)
            canonical = self._canonical(rest, level if level == self.own_level else "")
            if canonical:
                return self._qualify(level, canonical)
        return None

    def _canonical(self, name: str, level: str) -> str | None:
        """The short name of a spelling at a level.

        A corpus registry describes the county's own units (its 卫健委 may mean the county's
        卫健局): it decides for the county level and for entries written for this issuer; at
        other levels the dictionary's meaning comes first.
        """
        if level == "县":
            return self._exact.get(name)
        return self._issuer_exact.get(name) or self._builtin_exact.get(name) or self._exact.get(name)

    def _branch(self, name: str) -> str | None:
        """A higher unit's branch in this county, spelled with the county's full name.

        市生态环境局镇原分局 and 市生态环境局镇原县分局 are one unit: the city bureau's branch here.
        """
        stems = self._issuer_stems()
        for stem in sorted(stems, key=len, reverse=True):
            m = re.fullmatch(rf"(.+?[局委厅]){re.escape(stem)}分局", name)
            if m:
                canonical = f"{m.group(1)}{self.issuer}分局"
                return self._exact.get(canonical, canonical)
        return None

    def _party_unit(self, level: str, name: str) -> str:
        own = f"{'县' if level == '县' else LEVEL_MARK[level]}委{name}"
        return self._exact.get(own, own)

    def _issuer_stems(self) -> list[str]:
        """镇原县 and 镇原: a unit written with the issuer's own name belongs to it."""
        if not self.issuer:
            return []
        stems = [self.issuer]
        short = re.sub(r"(自治区|自治州|自治县|省|市|县|区|旗|盟)$", "", self.issuer)
        if len(short) >= 2 and short != self.issuer:
            stems.append(short)
        return stems

    def group(self, name: str) -> Group | None:
        """The group a name denotes (妇儿工委各成员单位, 市妇儿工委各成员单位), or None."""
        if name not in self._group_memo:
            self._group_memo[name] = self._group(name)
        return self._group_memo[name]

    def _group(self, name: str) -> Group | None:
        name = _clean(name)
        g = self._groups.get(name)
        if g is not None:
            return g if self.own_level == "县" else Group(self._qualify(self.own_level, g.name), [], g.members)
        for stem in self._issuer_stems():
            if name.startswith(stem) and name[len(stem):] in self._groups:
                return self.group(name[len(stem):])
        for prefix, level in LEVEL_PREFIXES:
            g = self._groups.get(name[len(prefix):]) if name.startswith(prefix) else None
            if g is not None:
                qualified = g.name if level == "县" else LEVEL_MARK[level] + g.name
                return g if qualified == g.name else Group(qualified, [], g.members)
        return None

    def is_group(self, name: str) -> bool:
        return self.group(name) is not None

    def members(self, group_name: str) -> list[str]:
        """The units a group stands for: its listed members, else the document's units of its level."""
        if group_name not in self._members_memo:
            self._members_memo[group_name] = self._members_of(group_name)
        return list(self._members_memo[group_name])

    def _members_of(self, group_name: str) -> list[str]:
        g = self.group(group_name)
        if g is None:
            return []
        if g.members is not None:
            return [m for m in (self.resolve(x) for x in g.members) if m]
        level = self.level_of(g.name)
        if self._members is not None:
            return [u for u in self._members if not self.is_group(u) and self.level_of(u) == level]
        return [d.name for d in self.departments if self.level_of(d.name) == level]

    def base_name(self, name: str) -> str:
        """A unit name without its level or jurisdiction: 省妇联 → 妇联, 妇联（镇原县）→ 妇联."""
        name = re.sub(r"（[^（）]*）$", "", _clean_keep(name))
        if self._is_qualified(name):
            name = name[1:]
        return self._builtin_exact.get(name) or self._exact.get(name) or name

    def get(self, canonical: str) -> Department | None:
        """The dictionary entry of a unit name (市卫健委 → the entry of 卫健委)."""
        d = self._by_name.get(canonical)
        if d is None and self._is_qualified(canonical):
            short = self._canonical(canonical[1:], "")
            d = self._by_name.get(short or "") or (builtin_by_name().get(short or "") if self._builtin else None)
        return d

    def full_name(self, canonical: str) -> str:
        """The full name of a unit, with its level where it has one (市卫生健康委员会)."""
        d = self.get(canonical)
        if d is None:
            return ""
        return (canonical[0] + d.full) if d.name != canonical and self._is_qualified(canonical) and d.full else d.full

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

    def suggest(self, name: str, n: int = 5, among: list[str] | None = None) -> list[str]:
        """The closest known names, for “did you mean”.

        :param among: the unit names to choose from (a knowledge base's units, known or not);
            the registry's departments when None.
        """
        if among is None:
            units = [(d.name, d.names()) for d in self.departments]
        else:
            units = [(u, ((d.names() if (d := self.get(u)) else []) + [u])) for u in among]
        spellings = {s: u for u, names in units for s in names}
        close = difflib.get_close_matches(_clean(name), list(spellings), n=n * 2, cutoff=0.3)
        out: list[str] = []
        for s in close:
            if spellings[s] not in out:
                out.append(spellings[s])
        if not out:
            chars = set(_clean(name))
            scored = sorted(units, key=lambda u: -max(len(chars & set(s)) for s in u[1]))
            out = [u for u, names in scored if chars & set("".join(names))][:n]
        return out[:n]

    def looks_like_unit(self, name: str) -> bool:
        """True when a name reads like an organisation even if no dictionary has it (suffix rules)."""
        name = _clean(name)
        return 2 <= len(name) <= 24 and name.endswith(ORG_SUFFIXES) and not re.search(r"[。，,；;：:！？]", name)


def _clean_keep(name: str) -> str:
    """Whitespace removed, brackets kept."""
    return re.sub(r"\s+", "", name or "")


def _clean(name: str) -> str:
    return re.sub(r"\s+", "", name or "").strip("（）()、，,；;：:")

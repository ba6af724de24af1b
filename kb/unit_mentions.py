"""Mention scanning: the units a registry knows, found in running text."""

from __future__ import annotations

from kb.unit_dictionary import Department


class UnitMentions:
    """Scans running text for the spellings of a registry's departments (a part of Registry)."""

    departments: list[Department]

    def spellings(self) -> list[tuple[str, str]]:
        """(spelling, canonical) pairs, longest spelling first, for scanning text.

        Generic words (公安机关, 教育部门) name a unit in a tag but not in running text.
        """
        pairs = {(s, d.name) for d in self.departments for s in d.names() if len(s) >= 2 and not s.endswith(("部门", "机关"))}
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

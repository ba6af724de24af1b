#!/usr/bin/env python3
"""Write a synthetic corpus of N plans in the real plan's format, for benchmarks.

Each plan recombines and perturbs the clauses of the real plan
(corpus/zhenyuan-women-2021-2030.txt): an invented county as issuer, goal and
measure lists resampled within their domain (now and then from another one),
sentences shuffled after each clause's lead sentence, numbers varied, and
department tags redrawn from the registry (corpus/departments.toml), with some
plans writing full names or aliases.  Plan i depends only on the seed and i, so
the first 10 plans of a 100-plan corpus are the 10-plan corpus.

Example::

    .venv/bin/python scripts/make_corpus.py --n 100 --out bench/work/corpus-100
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "corpus" / "zhenyuan-women-2021-2030.txt"
DATA_FILES = ("departments.toml", "synonyms.txt", "userdict.txt")
HOME_STEM = "镇原"

RE_PART = re.compile(r"^[一二三四五六七八九十]+、")
RE_SECTION = re.compile(r"^[（(][一二三四五六七八九十]+[)）]")
RE_LIST = re.compile(r"^(主要目标|策略措施)\s*[:：]\s*$")
RE_ITEM = re.compile(r"^(\d{1,3})[.．、]\s*(.*)$")
RE_MARKER = re.compile(r"^(?:\d{1,3}[.．、])?")
RE_TAG = re.compile(r"[（(]([^（）()]*)[)）]\s*$")
RE_SENTENCE = re.compile(r"[^。；！？]*[。；！？]|[^。；！？]+$")
RE_NUMBER = re.compile(r"\d+(?:\.\d+)?")

# Invented county names: two characters + 县, never the real plan's.
NAME_FIRST = "安宝长承丹东定丰福阜高广桂海和恒弘华怀嘉建江金锦靖康乐临龙隆鹿茂明南宁平清庆仁瑞山尚盛寿顺泰通万文武西祥新兴秀阳永玉源云振"
NAME_SECOND = "安昌川丹德丰峰阜谷禾和河华化江康兰乐林陵宁平浦泉仁山盛水台泰亭溪祥兴阳沂义源远岳云泽州"


@dataclass
class Item:
    """One numbered goal or measure of the template: body paragraphs and its tag."""

    body: str
    tag: list[str]
    extra: list[str] = field(default_factory=list)  # continuation paragraphs


@dataclass
class Template:
    """The real plan cut into lines, with each domain's goal and measure lists pulled out."""

    lines: list[tuple[str, object]]  # ("line", text) or ("list", (section, kind))
    lists: dict[tuple[int, str], list[Item]]


def read_template(path: Path = SOURCE) -> Template:
    """Split the real plan into fixed lines and the numbered lists between them."""
    lines: list[tuple[str, object]] = []
    lists: dict[tuple[int, str], list[Item]] = {}
    section, current = -1, None
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        text = raw.strip()
        m_list = RE_LIST.match(text)
        if RE_PART.match(text):
            current = None
        elif RE_SECTION.match(text):
            current = None
            section += 1
        if m_list:
            current = (section, "goal" if m_list.group(1) == "主要目标" else "measure")
            lists[current] = []
            lines.append(("line", text))
            lines.append(("list", current))
            continue
        m_item = RE_ITEM.match(text) if current else None
        if m_item:
            body, tag = m_item.group(2), []
            m_tag = RE_TAG.search(body)
            if m_tag:
                body, tag = body[: m_tag.start()].rstrip(), [t for t in re.split(r"[、，,]", m_tag.group(1)) if t]
            lists[current].append(Item(body, tag))
        elif current and text and lists[current]:
            lists[current][-1].extra.append(text)
        elif current and not text:
            continue
        else:
            lines.append(("line", text))
    return Template(lines, lists)


def read_registry(path: Path) -> tuple[list[dict], list[str]]:
    """Departments (name, full, aliases) and group names from departments.toml."""
    data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    return data.get("department", []), [g["name"] for g in data.get("group", [])]


def county_names(n: int, seed: int) -> list[str]:
    """n distinct invented county names, the same first names for any larger n."""
    rng = random.Random(f"counties-{seed}")
    names: list[str] = []
    seen = {HOME_STEM}
    limit = len(NAME_FIRST) * len(NAME_SECOND)
    if n > limit:
        raise SystemExit(f"make_corpus: at most {limit} plans")
    while len(names) < n:
        stem = rng.choice(NAME_FIRST) + rng.choice(NAME_SECOND)
        if stem not in seen:
            seen.add(stem)
            names.append(stem + "县")
    return names


def shuffle_sentences(text: str, rng: random.Random) -> str:
    """Keep the lead sentence, shuffle the rest; the clause still ends with a full stop."""
    parts = [s for s in RE_SENTENCE.findall(text) if s.strip()]
    if len(parts) < 3:
        return text
    rest = parts[1:]
    rng.shuffle(rest)
    out = parts[0] + "".join(s if s[-1] in "。；！？" else s + "。" for s in rest)
    if out.endswith("；"):
        out = out[:-1] + "。"
    return out


def vary_numbers(text: str, rng: random.Random) -> str:
    """Move each figure by up to ±15% (years and small counts stay; percentages stay ≤ 100)."""

    def repl(m):
        s = m.group(0)
        value = float(s)
        after = text[m.end() : m.end() + 1]
        before = text[m.start() - 1 : m.start()] if m.start() else ""
        if (len(s) == 4 and 1900 <= value <= 2100) or value < 5 or before == "/":
            return s
        new = value * rng.uniform(0.85, 1.15)
        if after and after in "%％" and value <= 100:
            new = min(new, 100)
        if "." in s:
            return f"{new:.{len(s.split('.')[1])}f}"
        return str(max(1, round(new)))

    return RE_NUMBER.sub(repl, text)


class Issuer:
    """One county's department set and the spellings its plan uses."""

    def __init__(self, departments: list[dict], groups: list[str], core: set[str], rng: random.Random):
        names = [d["name"] for d in departments]
        self.groups = set(groups)
        # The departments every county has; of the rest, each county has most.
        optional = [n for n in names if n not in core]
        self.used = set(core) | set(rng.sample(optional, round(len(optional) * rng.uniform(0.6, 0.9))))
        self.pool = sorted(self.used)
        # A department this county lacks: its duties go to one other department, consistently.
        self.substitute = {n: rng.choice(self.pool) for n in names if n not in self.used}
        self.spelling = {}
        for d in departments:
            choices = [d.get("full") or d["name"], *d.get("aliases", [])]
            # Most plans write short names; a few write full names or aliases.
            self.spelling[d["name"]] = rng.choice(choices) if rng.random() < 0.2 else d["name"]
        self.rng = rng

    def retag(self, tag: list[str]) -> list[str]:
        """Map a template tag onto this county's departments, perturbing it a little."""
        rng, out = self.rng, []
        for d in tag:
            if d in self.groups:
                out.append(d)
            elif rng.random() < 0.1:
                out.append(rng.choice(self.pool))
            else:
                out.append(d if d in self.used else self.substitute.get(d, d))
        if out and not any(d in self.groups for d in out):
            if rng.random() < 0.15:
                out.append(rng.choice(self.pool))
            if len(out) > 1 and rng.random() < 0.15:
                out.pop(rng.randrange(len(out)))
        seen = []
        for d in out:
            if d not in seen:
                seen.append(d)
        return [d if d in self.groups else self.spelling.get(d, d) for d in seen]


def sample_list(template: Template, key: tuple[int, str], rng: random.Random) -> list[Item]:
    """A resampled list for one domain: mostly its own items, now and then another domain's."""
    own = template.lists[key]
    others = [it for k, items in template.lists.items() if k[1] == key[1] and k != key for it in items]
    count = max(3, len(own) + rng.randint(-3, 1))
    order = own[:]
    rng.shuffle(order)
    picked = []
    for i in range(count):
        if others and rng.random() < 0.12:
            picked.append(rng.choice(others))
        else:
            picked.append(order[i % len(order)])
    # Keep the template's order for the own items (a plan reads goal 1 before goal 9).
    rank = {id(it): i for i, it in enumerate(own)}
    return sorted(picked, key=lambda it: rank.get(id(it), len(own) + rng.random()))


def make_plan(template: Template, county: str, issuer: Issuer, rng: random.Random) -> str:
    """The text of one synthetic plan."""
    stem = county[:-1]
    out = []
    for kind, value in template.lines:
        if kind == "line":
            text = value.replace(HOME_STEM, stem)
            if len(text) > 60 and not RE_SECTION.match(text):
                marker = RE_MARKER.match(text).group(0)
                text = marker + vary_numbers(shuffle_sentences(text[len(marker) :], rng), rng)
            elif RE_SECTION.match(text) and len(text) > 30:
                head, _, body = text.partition("。")
                text = head + "。" + vary_numbers(shuffle_sentences(body, rng), rng) if body else text
            out.append(text)
            continue
        for n, item in enumerate(sample_list(template, value, rng), 1):
            body = vary_numbers(shuffle_sentences(item.body.replace(HOME_STEM, stem), rng), rng)
            tag = issuer.retag(item.tag)
            line = f"{n}.{body}"
            extra = [e.replace(HOME_STEM, stem) for e in item.extra]
            if extra:
                out.append(line)
                out.extend(extra[:-1])
                line = extra[-1]
            out.append(line + (f"（{'、'.join(tag)}）" if tag else ""))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def make_corpus(n: int, out: Path, seed: int = 0, source: Path = SOURCE) -> list[Path]:
    """Write n plans, plans.toml and the data files into out; returns the plan files."""
    out.mkdir(parents=True, exist_ok=True)
    template = read_template(source)
    data_dir = source.parent
    departments, groups = read_registry(data_dir / "departments.toml")
    tagged = Counter(d for items in template.lists.values() for it in items for d in it.tag if d not in groups)
    core = {d for d, _ in tagged.most_common(8)}
    for name in DATA_FILES:
        shutil.copyfile(data_dir / name, out / name)
    manifest = ["# 合成规划清单（scripts/make_corpus.py 生成，勿手工编辑）", ""]
    files = []
    for i, county in enumerate(county_names(n, seed)):
        rng = random.Random(f"plan-{seed}-{i}")
        text = make_plan(template, county, Issuer(departments, groups, core, rng), rng)
        title = text.splitlines()[0].strip()
        name = f"synth-{i:04d}.txt"
        (out / name).write_text(text, encoding="utf-8")
        files.append(out / name)
        manifest += [
            "[[plan]]",
            f'file = "{name}"',
            f'id = "synth-{i:04d}"',
            f'title = "{title}"',
            f'issuer = "{county}"',
            'level = "县"',
            'period = "2021-2030"',
            "",
        ]
    # Stale plans from an earlier, larger run would otherwise be read too.
    for old in out.glob("synth-*.txt"):
        if old not in files:
            old.unlink()
    (out / "plans.toml").write_text("\n".join(manifest), encoding="utf-8")
    return files


def main(argv=None):
    """Command line: --n N --out DIR [--seed S]."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="number of plans")
    ap.add_argument("--out", type=Path, required=True, help="output folder (created)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--source", type=Path, default=SOURCE, help="the real plan to recombine")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be at least 1")
    files = make_corpus(args.n, args.out, args.seed, args.source)
    print(f"make_corpus: {len(files)} plans in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Front matter: page chrome, the publishing notice (印发通知) with its 文号 and date, the title, the table of contents.

``read_front`` looks at the first lines of a plan and says which of them are chrome, notice, title and
table of contents, and what metadata they carry; the outline rules read the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Page chrome of saved government pages (navigation, breadcrumbs, share bars, footers, site marks).
RE_CHROME = re.compile(
    r"^(当前位置|您现在的位置|首页\s*[>＞»]|手机版|无障碍|网站导航|网站地图|繁体|简体|English|登录|注册|"
    r"急救电话|咨询电话|联系电话|服务热线|来源[:：]|信息来源|发布时间|发布日期|发布机构|浏览次数|访问量|阅读次数|点击数|"
    r"字号|【?\s*字体|【?\s*打印|【?\s*关闭|分享到|扫一扫|索引号|主题分类|成文日期|发文机关|"
    r"版权所有|主办单位|主办[:：]|承办[:：]|技术支持|网站标识码|.{0,20}ICP备|.{0,20}公网安备|联系我们|关于本站|"
    r"上一篇|下一篇|相关链接|责任编辑|附件[:：]?$)"
)
RE_DOC_NUMBER = re.compile(r"^\S{1,16}[〔\[［(（【]\s*(\d{4})\s*[〕\]］)）】]\s*\d{1,4}\s*号$")
RE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
RE_NOTICE_TITLE = re.compile(r"关于印发.*(通知|决定)$")
RE_NOTICE_BODY = re.compile(r"(现将|印发给你们|请结合实际|认真贯彻(执行|落实))")
RE_PUBLIC = re.compile(r"^[（(]\s*此件.{0,8}[)）]$")
RE_SIGNATURE = re.compile(r"^.{2,30}(人民政府|人民政府办公室|人民政府办公厅|委员会|工作委员会|办公室|办公厅|委|局|厅)$")
RE_TOC = re.compile(r"^目\s*录$")
RE_TOC_PAGE = re.compile(r"[.…·\s\d]+$")
RE_PERIOD_LINE = re.compile(r"^[（(]\s*\d{4}\s*[—–\-－~～至到]+\s*\d{4}\s*年?\s*[)）]$")
PLAN_WORDS = ("规划", "纲要", "方案", "计划", "意见", "要点")


@dataclass
class Front:
    """What the front matter holds: line numbers (1-based) by role, and metadata."""

    chrome: list[int] = field(default_factory=list)
    notice: list[int] = field(default_factory=list)
    title: list[int] = field(default_factory=list)
    toc: list[int] = field(default_factory=list)
    doc_number: str | None = None
    issued: str | None = None
    signer: str | None = None
    body_start: int = 0  # index into the lines where the outline begins


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_chrome(line: str) -> bool:
    """A line of page chrome: navigation, breadcrumbs, share bars, footers."""
    return bool(RE_CHROME.match(line.strip()))


def _nonblank(lines, start):
    for i in range(start, len(lines)):
        if lines[i].strip():
            yield i


def read_front(lines: list[str], is_structural) -> Front:
    """Chrome, notice, title and table of contents at the head of a plan; the outline starts at body_start."""
    front = Front()
    idx = list(_nonblank(lines, 0))[:400]
    pos = 0
    while pos < len(idx) and is_chrome(lines[idx[pos]]):
        front.chrome.append(idx[pos] + 1)
        pos += 1
    pos = _read_notice(lines, idx, pos, front)
    while pos < len(idx) and is_chrome(lines[idx[pos]]):
        front.chrome.append(idx[pos] + 1)
        pos += 1
    pos = _read_title(lines, idx, pos, front, is_structural)
    pos = _read_toc(lines, idx, pos, front, is_structural)
    front.body_start = idx[pos] if pos < len(idx) else len(lines)
    return front


def _read_notice(lines, idx, pos, front) -> int:
    """The notice runs from its first line to the date (and a following （此件公开发布）)."""
    window = [lines[i].strip() for i in idx[pos:pos + 12]]
    if not any(RE_NOTICE_TITLE.search(w) or RE_NOTICE_BODY.search(w) or RE_DOC_NUMBER.match(compact(w)) for w in window):
        return pos
    end = None
    for k in range(pos, min(len(idx), pos + 40)):
        text = compact(lines[idx[k]])
        if RE_DOC_NUMBER.match(text) and front.doc_number is None:
            front.doc_number = lines[idx[k]].strip()
        m = RE_DATE.match(text)
        if m and k > pos:
            front.issued = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            prev = compact(lines[idx[k - 1]])
            if RE_SIGNATURE.match(prev):
                front.signer = prev
            end = k
            if k + 1 < len(idx) and RE_PUBLIC.match(compact(lines[idx[k + 1]])):
                end = k + 1
            break
    if end is None:
        front.doc_number = None
        return pos
    front.notice = [idx[k] + 1 for k in range(pos, end + 1)]
    return end + 1


def _read_title(lines, idx, pos, front, is_structural) -> int:
    """The plan's own title: one line, or two when the second is its period or its continuation."""
    if pos >= len(idx) or is_structural(lines[idx[pos]]):
        return pos
    first = compact(lines[idx[pos]])
    front.title.append(idx[pos] + 1)
    pos += 1
    if pos < len(idx):
        second = compact(lines[idx[pos]])
        continues = (
            RE_PERIOD_LINE.match(second)
            or (not first.endswith(PLAN_WORDS + ("）", ")")) and second.endswith(PLAN_WORDS + ("）", ")")) and len(second) <= 30)
        )
        if continues and not is_structural(lines[idx[pos]]) and "。" not in second and not RE_TOC.match(second):
            front.title.append(idx[pos] + 1)
            pos += 1
    return pos


def _toc_key(line: str) -> str:
    return RE_TOC_PAGE.sub("", compact(line))


def _read_toc(lines, idx, pos, front, is_structural) -> int:
    """目录 and its entries, up to the line where the first entry appears again as the body's heading."""
    if pos >= len(idx) or not RE_TOC.match(compact(lines[idx[pos]])):
        return pos
    start = pos
    pos += 1
    first = _toc_key(lines[idx[pos]]) if pos < len(idx) else ""
    end = None
    for k in range(pos + 1, len(idx)):
        text = compact(lines[idx[k]])
        if _toc_key(lines[idx[k]]) == first and first:
            end = k
            break
        if "。" in text or len(text) > 60:
            end = k
            break
    if end is None:
        end = len(idx)
    front.toc = [idx[k] + 1 for k in range(start, end)]
    return end


def title_text(lines: list[str], front: Front) -> str | None:
    """The title, joined without the line break when it was split over two lines."""
    if not front.title:
        return None
    return "".join(lines[n - 1].strip() for n in front.title)

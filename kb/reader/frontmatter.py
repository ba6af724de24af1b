"""Front matter: page chrome, the publishing notice (印发通知) with its 文号 and date, the title, the table of contents.

``read_front`` looks at the first lines of a plan and says which of them are chrome, notice, title and
table of contents, and what metadata they carry; the outline rules read the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.reader.tags import TRADITIONAL

# Page chrome of saved government pages (navigation, breadcrumbs, share bars, footers, site marks).
RE_CHROME = re.compile(
    r"^(适老版|政策解读|当前位置|您现在的位置|您当前的位置|你的位置|所在位置|无障碍|一网搜|朗读$|浏览量|编辑\s*[:：]|[小大]字号|\S+\.(png|jpe?g|gif)$|(\S{1,6}网\s+){2}\S{1,6}网$|首页\s*[>＞»]|手机版|无障碍|网站导航|网站地图|繁体|简体|English|登录|注册|"
    r"急救电话|咨询电话|联系电话|服务热线|来源[:：]|信息来源|发布时间|发布日期|发布机构|浏览次数|访问量|阅读次数|点击数|"
    r"字号|【?\s*字体|【?\s*打印|【?\s*关闭|分享到|扫一扫|索引号|主题分类|成文日期|发文机关|"
    r"版权所有|主办单位|主办[:：]|承办[:：]|技术支持|网站标识码|.{0,20}ICP备|.{0,20}公网安备|联系我们|关于本站|"
    r"上一篇|下一篇|相关链接|责任编辑|附件[:：]?$|"
    r"[>＞»›]{1,2}\s*\S|首页$|[^。]{1,40}[>＞»›][^。]{1,40}[>＞»›][^。]*$|.{0,30}(门户网站|政府网|官方网站)$|.{1,12}\s*[>＞»›]{1,2}\s*.{1,12}\s*[>＞»›]|"
    r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*(阅读|浏览|点击|访问|来源|发布)|"
    r"(阅读|浏览)\s*[:：]?\s*\d*\s*次?$)"
)
# A page's own information table (索引号：… 发文机关：… 成文日期：… 文号：… 标题：…), one field a line.
RE_INFO_FIELD = re.compile(
    r"^(索\s*引\s*号|主题分类|主\s*题\s*词|发文机关|发布机构|成文日期|发布日期|发文日期|文\s*号|发文字号|标\s*题|名\s*称|有\s*效\s*性|体裁分类|组配分类)"
    r"\s*[:：]\s*(.*)$"
)
RE_FILE_HEAD = re.compile(r"^.{2,30}文件$")
RE_CATEGORY = re.compile(r"^[^丨|｜]{1,6}[丨|｜]\s*")
RE_DOC_NUMBER_HEAD = re.compile(r"^(\S{1,16}[〔\[［【]\s*\d{4}\s*[〕\]］】]\s*\d{1,4}\s*号)\s*\S")
INFO_LABELS = ("索引号", "主题分类", "发文机关", "发文机构", "发布机构", "成文日期", "发布日期", "发布时间", "发文日期", "文号",
               "发文字号", "名称", "有效性", "文件有效性", "公文时效")
RE_INFO_PAIR = re.compile(r"(" + "|".join(sorted(INFO_LABELS, key=len, reverse=True)) + r")\s*[:：]?\s*")
RE_PAGE_HEADING = re.compile(r"^\S{1,16}[〔\[［(（【]\d{4}[〕\]］)）】]\d{1,4}号\s*《.+》$")
RE_BROKEN_DATE = re.compile(r"^\d{5,8}$")  # 2021年4月2日 with its 年月日 lost on the page: 202142
RE_DOC_NUMBER = re.compile(r"^\S{1,16}[〔\[［(（【]\s*(\d{4})\s*[〕\]］)）】]\s*\d{1,4}\s*号$")
RE_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
RE_ISO_DATE = re.compile(r"^(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?$")
RE_NATIONAL_SIGNATURE = re.compile(r"^(国务院|国务院办公厅|中共中央|中共中央办公厅|.{2,12}(部|总署|总局|委员会|银行))$")
RE_NOTICE_TITLE = re.compile(r"关于印发.*(通知|决定)$")
RE_NOTICE_BODY = re.compile(r"(现将|印发给你们|请结合实际|认真贯彻(执行|落实))")
RE_ADDRESSEE = re.compile(r"^各.{1,60}[:：]$")
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
    fields: list[int] = field(default_factory=list)  # 文号, addressee, info table, signature and date of a document issued directly
    info_title: str | None = None  # 标题 of the page's information table
    doc_number: str | None = None
    issued: str | None = None
    signer: str | None = None
    body_start: int = 0  # index into the lines where the outline begins
    body_end: int = 0  # index into the lines where the outline ends (the signature of a document issued directly)


def compact(text: str) -> str:
    """The text without spaces, traditional characters of the matched words made simplified (for matching only)."""
    return re.sub(r"\s+", "", text).translate(TRADITIONAL)


def is_chrome(line: str) -> bool:
    """A line of page chrome: navigation, breadcrumbs, share bars, footers."""
    return bool(RE_CHROME.match(line.strip().translate(TRADITIONAL)))


def _nonblank(lines, start):
    for i in range(start, len(lines)):
        if lines[i].strip():
            yield i


def read_front(lines: list[str], is_structural) -> Front:
    """Chrome, notice, title and table of contents at the head of a plan; the outline starts at body_start."""
    front = Front()
    idx = list(_nonblank(lines, 0))[:400]
    pos = _read_chrome(lines, idx, 0, front)
    start = pos
    pos = _read_notice(lines, idx, pos, front)
    pos = _read_chrome(lines, idx, pos, front)
    direct = False
    if pos == start:
        head = pos
        pos = _read_direct(lines, idx, pos, front, is_structural)
        direct = pos != head
    if not front.title and not direct:
        pos = _read_title(lines, idx, pos, front, is_structural)
    pos = _read_toc(lines, idx, pos, front, is_structural)
    front.body_start = idx[pos] if pos < len(idx) else len(lines)
    front.body_end = _read_closing(lines, front)
    return front


def _read_chrome(lines, idx, pos, front) -> int:
    """Page chrome and the page's information table (索引号、文号、成文日期 …: values read) at the head of the text."""
    while pos < len(idx):
        text = lines[idx[pos]].strip()
        m = RE_INFO_FIELD.match(text)
        pairs = _info_pairs(text)
        if RE_PAGE_HEADING.match(compact(text)):  # 鲁政发〔2014〕20号《…意见》: the page's heading above the document
            front.chrome.append(idx[pos] + 1)
        elif m:
            _info_field(compact(m.group(1)), m.group(2).strip(), front)
            front.chrome.append(idx[pos] + 1)  # page furniture whose value is kept as metadata
        elif pairs:
            for name, value in pairs:
                _info_field(name, value, front)
            front.chrome.append(idx[pos] + 1)
        elif is_chrome(text):
            front.chrome.append(idx[pos] + 1)
        else:
            break
        pos += 1
    return pos


def _info_pairs(text: str) -> list[tuple[str, str]]:
    """索引号 000014349/2020-3761045 成文日期 2020-10-15: label–value pairs of an information bar without colons."""
    found = list(RE_INFO_PAIR.finditer(text))
    if not found or found[0].start() != 0 or len(found) < 2:
        return []
    out = []
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        out.append((m.group(1), text[m.end(): end].strip()))
    return out


def _info_field(name: str, value: str, front) -> None:
    if name in ("文号", "发文字号") and value and front.doc_number is None:
        front.doc_number = value
    elif name in ("成文日期", "发文日期") and value and front.issued is None:
        front.issued = _iso_date(compact(value))
    elif name in ("标题", "名称") and value:
        front.info_title = value
    elif name in ("发文机关", "发文机构") and value and front.signer is None:
        front.signer = value


def _iso_date(text: str) -> str | None:
    m = RE_DATE.match(text) or RE_ISO_DATE.match(text)
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def _read_direct(lines, idx, pos, front, is_structural) -> int:
    """A document issued directly (意见、通知、决定): 文号, its title and the addressee before the body.

    Read only when a 文号 or an addressee line is there; the head is at most eight lines.
    """
    fields: list[int] = []
    title: list[int] = []
    k = pos
    while k < min(len(idx), pos + 8):
        text = compact(lines[idx[k]])
        if RE_DOC_NUMBER.match(text) or RE_FILE_HEAD.match(text):
            if RE_DOC_NUMBER.match(text) and front.doc_number is None:
                front.doc_number = lines[idx[k]].strip()
            fields.append(idx[k] + 1)
        elif RE_ADDRESSEE.match(text) or (text.endswith(("：", ":")) and text.startswith("各") and len(text) <= 120):
            fields.append(idx[k] + 1)
            k += 1
            break
        elif is_structural(lines[idx[k]]) or "。" in text or len(title) == 2:
            break
        else:
            title.append(idx[k] + 1)
        k += 1
    else:
        return pos
    if not fields or not any(RE_DOC_NUMBER.match(compact(lines[n - 1])) or RE_ADDRESSEE.match(compact(lines[n - 1])) or
                             compact(lines[n - 1]).endswith(("：", ":")) for n in fields):
        return pos
    front.fields += fields
    front.title += title
    return k


def _read_closing(lines, front) -> int:
    """The signature, date and （此件公开发布） that close a document issued directly; the index where they start."""
    end = len(lines)
    if front.notice or not (front.fields or front.doc_number):
        return end
    tail = [i for i in range(len(lines) - 1, max(front.body_start, len(lines) - 12) - 1, -1) if lines[i].strip()]
    taken: list[int] = []
    for i in tail:
        text = compact(lines[i])
        if RE_PUBLIC.match(text) or is_chrome(text):
            taken.append(i)
            continue
        break
    rest = [i for i in tail if i not in taken and i < (min(taken) if taken else end)]
    if not rest or not (RE_DATE.match(compact(lines[rest[0]])) or RE_ISO_DATE.match(compact(lines[rest[0]]))):
        return end
    date = rest[0]
    front.issued = front.issued or _iso_date(compact(lines[date]))
    taken.append(date)
    signature = rest[1] if len(rest) > 1 else None
    if signature is not None:
        sig = compact(lines[signature])
        if (RE_SIGNATURE.match(sig) or RE_NATIONAL_SIGNATURE.match(sig)) and "。" not in sig:
            front.signer = front.signer or sig
            taken.append(signature)
    front.fields += sorted(i + 1 for i in taken if not is_chrome(compact(lines[i])) or RE_PUBLIC.match(compact(lines[i])))
    front.chrome += sorted(i + 1 for i in taken if is_chrome(compact(lines[i])) and not RE_PUBLIC.match(compact(lines[i])))
    return min(taken)


def _read_notice(lines, idx, pos, front) -> int:
    """The notice runs from its first line to the date (and a following （此件公开发布）)."""
    window = [lines[i].strip() for i in idx[pos:pos + 12]]
    if not any(RE_NOTICE_TITLE.search(w) or RE_NOTICE_BODY.search(w) for w in window):
        return pos
    end = None
    info: list[tuple[str, str]] = []
    for k in range(pos, min(len(idx), pos + 40)):
        text = compact(lines[idx[k]])
        head = RE_DOC_NUMBER_HEAD.match(text)
        if RE_DOC_NUMBER.match(text) and front.doc_number is None:
            front.doc_number = lines[idx[k]].strip()
        elif head and front.doc_number is None:  # 云府办发〔2021〕6号 云岩区人民政府办公室关于印发…的通知
            front.doc_number = head.group(1)
        info += _info_pairs(lines[idx[k]].strip())
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
    for name, value in info:  # an information bar the page put inside the notice
        _info_field(name, value, front)
    if end is None:  # no date: the notice is its head up to the line that asks to carry the plan out
        front.doc_number = None
        end = next((k for k in range(pos, min(len(idx), pos + 12)) if RE_NOTICE_BODY.search(lines[idx[k]])), None)
        if end is None:
            end = next((k for k in range(pos, min(len(idx), pos + 12)) if RE_NOTICE_TITLE.search(compact(lines[idx[k]]))), None)
        if end is None:
            return pos
        for k in range(pos, end + 1):
            head = RE_DOC_NUMBER_HEAD.match(compact(lines[idx[k]]))
            if RE_DOC_NUMBER.match(compact(lines[idx[k]])) and front.doc_number is None:
                front.doc_number = lines[idx[k]].strip()
            elif head and front.doc_number is None:  # 云府办发〔2021〕6号 云岩区人民政府办公室关于印发…的通知
                front.doc_number = head.group(1)
        while end + 1 < min(len(idx), pos + 40):  # the signature and a date, however printed
            text = compact(lines[idx[end + 1]])
            if not (RE_SIGNATURE.match(text) or RE_DATE.match(text) or RE_BROKEN_DATE.match(text) or RE_PUBLIC.match(text)):
                break
            if RE_SIGNATURE.match(text) and front.signer is None:
                front.signer = text
            front.issued = front.issued or _iso_date(text)
            end += 1
    front.notice = [idx[k] + 1 for k in range(pos, end + 1)]
    return end + 1


def _read_title(lines, idx, pos, front, is_structural) -> int:
    """The plan's own title: one line, or two when the second is its period or its continuation."""
    if pos >= len(idx) or is_structural(lines[idx[pos]]):
        return pos
    first = compact(lines[idx[pos]])
    if RE_NOTICE_TITLE.search(first):  # a notice's title is never the plan's: the plan's own follows
        front.notice.append(idx[pos] + 1)
        return _read_title(lines, idx, pos + 1, front, is_structural)
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
    """The title, joined without the line break when it was split over two lines, without a site's category
    before it (妇女丨黄石港区妇女发展规划 → 黄石港区妇女发展规划)."""
    if not front.title:
        return front.info_title if front.info_title and not RE_NOTICE_TITLE.search(front.info_title) else None
    return RE_CATEGORY.sub("", "".join(lines[n - 1].strip() for n in front.title))

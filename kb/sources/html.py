"""Saved web pages: the article body of a government page as lines, without the page's chrome.

Every step is one pass over the tree (no get_text() per element, no recursion), so a page of 20,000
nested <div>s reads as fast as a flat one.
"""

from __future__ import annotations

import re

from kb.errors import SourceError
from kb.sources.layout import cjk_len, is_data_header, is_layout_cell
from kb.sources.text import normalise_lines

BLOCK_TAGS = frozenset(
    ("p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
     "article", "main", "table", "thead", "tbody", "tfoot", "caption", "td", "th", "blockquote", "pre", "center", "hr", "body")
)
NOISE_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select", "template", "svg", "input", "textarea")
NOISE_HINT = re.compile(r"nav|menu|header|footer|share|breadcrumb|crumb|sidebar|banner|copyright|toolbar|related|comment|print|login|search|location|position|bdshare|jiathis", re.I)
BODY_HINT = re.compile(r"content|article|main|text|zoom|detail|body", re.I)
# Lines of page chrome that sit inside or next to the article block on government sites.
CHROME_LINE = re.compile(
    r"^(?:当前位置|您的位置|你的位置|您现在的位置|所在位置|首页\s*[>＞»]|分享到|分享：|【?字号|字体[：:]?\s*【?大|【?\s*大\s*】?\s*【?\s*中\s*】?\s*【?\s*小\s*】?$"
    r"|【?打印本页|【?打印】?$|【?关闭窗口|【?关闭】?$|【?返回顶部|【?收藏|手机版|无障碍|适老化|English$|繁體|简体版|网站地图|扫一扫"
    r"|主办单位|主办[：:]|承办单位|承办[：:]|协办单位|技术支持|网站标识码|版权所有|Copyright|©|.{0,20}ICP备|.{0,20}公网安备|联系电话|联系我们|联系方式|地址[：:].{0,40}邮编"
    r"|浏览次数|阅读次数|访问量|点击[数量率]|【?我要纠错|上一篇|下一篇|相关(?:文件|链接|阅读|新闻)[：:]?$|责任编辑)"
)
INFO_BAR = re.compile(r"(?:来源|发布时间|发布日期|发文日期|发布机构|作者|信息来源)[：:].{0,80}(?:发布时间|发布日期|浏览|来源|字号|点击|阅读)")
INFO_LABEL = re.compile(r"^(索\s*引\s*号|主题分类|主\s*题\s*词|发文机关|发布机构|成文日期|发布日期|发文日期|文\s*号|发文字号|标\s*题|名\s*称|有\s*效\s*性|体裁分类)\s*[:：]?")
SITE_SUFFIX = re.compile(r"\s*(?:[_|｜·]|\s[-—–－]\s|[-—–－](?=[^\d]))\s*([^_|｜·]{2,40}?)\s*$")
SITE_NAME = re.compile(r"(?:人民政府|政府|门户|网站|网|官网|平台|委员会|办公室|在线|政务服务|信息公开)$|^(?:首页|政策文件|政府文件|通知公告|政务公开|信息公开|规划计划|专项规划|发展规划)$")


def read_html(path, text: str, enc: str | None):
    """Find the article body of a saved government page and turn its blocks into lines."""
    from bs4 import BeautifulSoup

    from kb.sources import SourceText

    soup = BeautifulSoup(text, "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    tags = soup.find_all(True)
    hidden = _hidden(tags)
    body = _article_block(tags, hidden) or soup.body or soup
    lines = _strip_chrome(normalise_lines(_info_outside(tags, body, hidden) + _block_lines(body, hidden)))
    if not any(lines):
        raise SourceError(path, "网页正文是空的")
    return SourceText(str(path), lines, "html", enc, title_hint=_title(soup, page_title, hidden))


def _title(soup, page_title: str, hidden: set[int]) -> str | None:
    """The page's own title: an <h1> that the <title> confirms, else the <title> without the site name."""
    title = _strip_site(page_title)
    if SITE_NAME.search(title):
        title = ""  # the <title> is only the site's name
    squeeze = re.sub(r"\s+", "", title)
    h1s = [" ".join(h.get_text(" ", strip=True).split()) for h in soup.find_all("h1") if id(h) not in hidden]
    h1s = [h for h in h1s if len(re.sub(r"\s+", "", h)) >= 4 and not CHROME_LINE.match(h)]
    for h in h1s:
        hs = re.sub(r"\s+", "", _strip_site(h))
        if squeeze and (hs in squeeze or squeeze in hs):
            return _strip_site(h)
    if title:
        return title
    return _strip_site(h1s[0]) if h1s else None


def _strip_site(title: str) -> str:
    """'Plan title_某县人民政府网' → 'Plan title' (site names and section names at the end go)."""
    title = " ".join(title.split())
    while True:
        m = SITE_SUFFIX.search(title)
        if not m or m.start() == 0 or not SITE_NAME.search(m.group(1)):
            return title
        title = title[: m.start()].rstrip()


def _hidden(tags) -> set[int]:
    """ids of the tags that are page furniture (scripts, navigation, share bars …) or inside one.

    Tags come in document order, so a parent is decided before its children: one pass, and the
    tree is left as it is (decompose() and extract() walk the subtree each time).
    """
    hidden: set[int] = set()
    for tag in tags:
        if id(tag.parent) in hidden or tag.name in NOISE_TAGS:
            hidden.add(id(tag))
            continue
        if tag.attrs:
            marks = " ".join([str(tag.get("id") or ""), *(tag.get("class") or [])])
            if marks.strip() and NOISE_HINT.search(marks) and not BODY_HINT.search(marks):
                hidden.add(id(tag))
    return hidden


def _article_block(tags, hidden: set[int]):
    """The element holding most of the page's Chinese text in its own paragraphs.

    Chinese character counts are summed bottom-up over the tree once (tags in reverse document order
    see their children first), so scoring every candidate costs one pass.
    """
    from bs4 import NavigableString, Tag

    total: dict[int, int] = {}
    for tag in reversed(tags):
        n = 0
        if id(tag) in hidden:
            total[id(tag)] = 0
            continue
        for child in tag.children:
            if isinstance(child, Tag):
                n += total.get(id(child), 0)
            elif isinstance(child, NavigableString) and type(child) is NavigableString:
                n += cjk_len(child)
        total[id(tag)] = n
    layout = {id(t) for t in tags if t.name == "table" and id(t) not in hidden and _is_layout(t, hidden)}
    best, best_score = None, 0.0
    for el in tags:
        if el.name not in ("article", "div", "section", "td", "main", "body") or id(el) in hidden:
            continue
        blocks = direct = 0
        for child in el.children:
            if isinstance(child, Tag):
                if child.name in ("p", "br", "div", "table"):
                    blocks += 1
                if child.name == "p" or (child.name == "table" and id(child) not in layout):
                    direct += total.get(id(child), 0)
        score = direct * 2 + (total[id(el)] if blocks > 2 else 0) * 0.5
        if score > best_score:
            best, best_score = el, score
    return best


def _block_lines(root, hidden: set[int]) -> list[str]:
    """The text under root as lines: a break at every block element and <br>, tables of two or more columns as tab rows."""
    from bs4 import NavigableString, Tag

    out: list[str] = []
    current: list[str] = []

    def brk():
        out.append("".join(current))
        current.clear()

    stack: list = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            brk()
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString:
                current.append(str(node))
            continue
        if not isinstance(node, Tag) or id(node) in hidden:
            continue
        if node.name == "br":
            brk()
            continue
        if node.name == "table" and not _is_layout(node, hidden):
            rows = _table_rows(node, hidden)
            if rows is not None:
                brk()
                out.append("")
                out.extend(rows)
                out.append("")
                continue
        block = node.name in BLOCK_TAGS
        if block:
            brk()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.children)))
    brk()
    return out


def _own_rows(table) -> list:
    """The <tr>s of a table itself (not of tables nested in its cells)."""
    from bs4 import Tag

    trs = []
    for child in table.children:
        if isinstance(child, Tag):
            if child.name == "tr":
                trs.append(child)
            elif child.name in ("thead", "tbody", "tfoot"):
                trs.extend(c for c in child.children if isinstance(c, Tag) and c.name == "tr")
    return trs


def _is_layout(table, hidden: set[int]) -> bool:
    """A table that lays out a page (article beside a side bar, a cell of paragraphs) rather than holding records.

    Data: a header row names record columns (序号、任务、牵头单位 …) or every cell is short. Layout: a
    cell holds a nested table, a heading, several paragraphs, a long text or a list of links.
    """
    from bs4 import Tag

    rows = _own_rows(table)
    if not rows:
        return True
    first = [c.get_text(" ", strip=True) for c in rows[0].children if isinstance(c, Tag) and c.name in ("td", "th")]
    if is_data_header(first):
        return False
    for tr in rows:
        for cell in tr.children:
            if not isinstance(cell, Tag) or cell.name not in ("td", "th") or id(cell) in hidden:
                continue
            inner = cell.find_all(True)
            nested = any(t.name in ("table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol") for t in inner)
            blocks = sum(1 for t in inner if t.name in ("p", "div", "br"))
            links = sum(1 for t in inner if t.name == "a")
            if is_layout_cell(blocks, nested, cell.get_text("", strip=True), links):
                return True
    return False


def _info_lines(rows: list[list[str]]) -> list[str] | None:
    """A page's information table (索引号 | … | 发文机关 | …) as label：value lines, or None for any other table."""
    cells = [c for r in rows for c in r]
    labels = [i for i, c in enumerate(cells) if INFO_LABEL.match(c)]
    if len(labels) < 2:
        return None
    out = []
    i = 0
    while i < len(cells):
        cell = cells[i]
        if INFO_LABEL.match(cell) and not re.search(r"[:：]\s*\S", cell):
            value = cells[i + 1] if i + 1 < len(cells) and not INFO_LABEL.match(cells[i + 1]) else ""
            out.append(cell.rstrip("：:") + "：" + value)
            i += 2 if value else 1
            continue
        if cell:
            out.append(cell)
        i += 1
    return out


def _info_outside(tags, body, hidden: set[int]) -> list[str]:
    """The lines of the page's information table when it stands outside the article block (above it, as on gov.cn)."""
    inside = {id(t) for t in body.find_all("table")} if hasattr(body, "find_all") else set()
    for table in tags:
        if table.name != "table" or id(table) in hidden or id(table) in inside or table.find("table"):
            continue
        rows = [[_cell_text(c, hidden) for c in tr.children if getattr(c, "name", None) in ("td", "th")] for tr in _own_rows(table)]
        info = _info_lines(rows)
        if info is not None:
            return info + [""]
    return []


def _table_rows(table, hidden: set[int]) -> list[str] | None:
    """Rows of a table with two or more columns, cells joined by tabs; None for a one-column layout table.

    A cell spanning several columns (colspan) appears once in its row; a cell spanning several rows
    (rowspan) appears in each of them, so every row names its own units.
    """
    from bs4 import Tag

    trs = _own_rows(table)
    grid_rows = []
    carried: dict[int, tuple[str, int, int]] = {}  # grid column → (text, rows left, columns spanned)
    for tr in trs:
        cells = [c for c in tr.children if isinstance(c, Tag) and c.name in ("td", "th")]
        row: list[str] = []
        col = 0
        queue = list(cells)
        while queue or any(c >= col for c in carried):
            if col in carried:
                text, left, span = carried[col]
                row.append(text)
                if left <= 1:
                    del carried[col]
                else:
                    carried[col] = (text, left - 1, span)
                col += span
                continue
            if not queue:
                col = min((c for c in carried if c >= col), default=col)
                if col not in carried:
                    break
                continue
            cell = queue.pop(0)
            text = _cell_text(cell, hidden)
            span = _int_attr(cell, "colspan")
            rowspan = _int_attr(cell, "rowspan")
            if rowspan > 1:
                carried[col] = (text, rowspan - 1, span)
            row.append(text)
            col += span
        grid_rows.append(row)
    info = _info_lines(grid_rows)
    if info is not None:
        return info
    if max((len(r) for r in grid_rows), default=0) < 2:
        return None
    return ["\t".join(r) for r in grid_rows]


def _int_attr(cell, name: str) -> int:
    try:
        return max(1, min(int(str(cell.get(name) or "1").strip()), 1000))
    except ValueError:
        return 1


def _cell_text(cell, hidden: set[int]) -> str:
    """A cell's paragraphs joined by a space."""
    parts = (" ".join(line.split()) for line in _block_lines(cell, hidden))
    return " ".join(p for p in parts if p)


def _strip_chrome(lines: list[str]) -> list[str]:
    """Lines without navigation, breadcrumbs, share bars, info bars and site footers."""
    out = []
    for line in lines:
        if line and len(line) <= 120 and "\t" not in line and (CHROME_LINE.match(line) or INFO_BAR.search(line)):
            continue
        out.append(line)
    return out

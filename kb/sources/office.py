"""Legacy Word (.doc) and WPS (.wps) files: converted to .docx by LibreOffice headless, then read as .docx."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from kb.errors import SourceError
from kb.sources.docx import read_docx

CONVERT_TIMEOUT = 120  # seconds; a 300-page .doc converts in well under a minute


def soffice_path() -> str | None:
    """$PLANKB_SOFFICE, else soffice or libreoffice on PATH."""
    env = os.environ.get("PLANKB_SOFFICE")
    if env and Path(env).exists():
        return env
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_legacy_word(path, data: bytes):
    """A .doc/.wps file read through a LibreOffice conversion to .docx in a temporary folder."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".doc", ".wps"):
        raise SourceError(path, "这是旧版 Office 文件（如 .xls/.ppt），不是规划文本；Word 文件请另存为 .docx")
    soffice = soffice_path()
    if not soffice:
        raise SourceError(path, f"读取 {suffix} 文件需要 LibreOffice（未安装）；请用 Word 或 WPS 另存为 .docx")
    with tempfile.TemporaryDirectory(prefix="plankb-convert-") as tmpname:
        tmp = Path(tmpname)
        src = tmp / f"plan{suffix}"
        src.write_bytes(data)
        profile = (tmp / "profile").as_uri()
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(tmp / "out"), str(src)]
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as exc:
            raise SourceError(path, f"无法运行 LibreOffice：{exc.strerror or exc}；请另存为 .docx") from None
        try:
            proc.wait(timeout=CONVERT_TIMEOUT)
        except subprocess.TimeoutExpired:
            # soffice starts soffice.bin in its own session: end the whole group, not only the wrapper.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            raise SourceError(path, f"LibreOffice 转换超过 {CONVERT_TIMEOUT} 秒，已放弃；请用 Word 或 WPS 另存为 .docx") from None
        out = tmp / "out" / "plan.docx"
        if not out.is_file():
            raise SourceError(path, f"LibreOffice 无法转换这个 {suffix} 文件（文件可能已损坏）；请用 Word 或 WPS 另存为 .docx")
        src_text = read_docx(path, out.read_bytes())
    src_text.format = suffix.lstrip(".")
    return src_text

# Shared set-up for scripts/run and scripts/test: a venv in .venv with plankb installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "scripts: 需要 Python 3.11 或更新版本（找不到 $PY）" >&2
    exit 1
fi
"$PY" - <<'PYEOF' || { echo "scripts: 需要 Python 3.11 或更新版本" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PYEOF
if [ ! -x .venv/bin/python ]; then
    echo "== 创建虚拟环境 .venv" >&2
    "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
# Reinstall only when the package metadata changed since the last install.
STAMP=.venv/.plankb-installed
WANT="$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)-${1:-}"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "== 安装 plankb 及依赖" >&2
    "$VPY" -m pip install -q --disable-pip-version-check --upgrade pip >&2
    "$VPY" -m pip install -q --disable-pip-version-check -e ".${1:+[$1]}" >&2
    echo "$WANT" > "$STAMP"
fi

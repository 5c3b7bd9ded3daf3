# Sourced by ./serve and ./check: build .venv from the project's own files when they change.
# usage: ensure_environment [runtime|dev]
ensure_environment() {
    local extras=""
    [ "${1:-runtime}" = "dev" ] && extras="[dev]"
    local python="${HETAO_PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "hetao needs Python 3.11 or newer as '$python' (set HETAO_PYTHON)" >&2
        return 1
    fi
    local base stamp
    base=".venv/.installed-$(sha256sum < pyproject.toml | cut -c1-16)"
    stamp="${base}${extras}"
    # A dev install also satisfies the runtime.
    [ -z "$extras" ] && [ -f "${base}[dev]" ] && stamp="${base}[dev]"
    if [ ! -x .venv/bin/python ]; then
        echo "creating .venv with $("$python" --version)" >&2
        "$python" -m venv .venv
    fi
    if [ ! -f "$stamp" ]; then
        echo "installing hetao${extras} into .venv" >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
        rm -f .venv/.installed-*
        touch "$stamp"
    fi
}

# Page tests drive Debian's Chromium through Playwright (never Playwright's own download), with a
# CJK font so that pages in Chinese render in screenshots.
ensure_browser() {
    local missing=()
    [ -x "${HETAO_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
    dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "installing ${missing[*]} for the page tests" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing ${missing[*]}: page tests may be skipped (install the packages)" >&2
    fi
}

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

# Page tests drive Debian's Chromium through Playwright (never Playwright's own download).
ensure_browser() {
    local chromium="${HETAO_CHROMIUM:-/usr/bin/chromium}"
    [ -x "$chromium" ] && return 0
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "installing Debian's chromium for the page tests" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "no Chromium at $chromium: page tests will be skipped (install the chromium package)" >&2
    fi
}

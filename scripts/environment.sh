# Sourced by ./serve and ./check: build .venv from the pinned dependency set when it changes.
# usage: ensure_environment [runtime|dev]   (requirements/runtime.lock or requirements/dev.lock)
ensure_environment() {
    local kind="${1:-runtime}"
    local python="${HETAO_PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "hetao needs Python 3.11 or newer as '$python' (set HETAO_PYTHON)" >&2
        return 1
    fi
    local stamp
    stamp="$(installed_stamp "$kind")"
    # The dev lock holds the runtime one at the same versions (scripts/lock), so it satisfies it.
    [ "$kind" = "runtime" ] && [ -f "$(installed_stamp dev)" ] && stamp="$(installed_stamp dev)"
    if [ ! -x .venv/bin/python ]; then
        echo "creating .venv with $("$python" --version)" >&2
        "$python" -m venv .venv
    fi
    if [ ! -f "$stamp" ]; then
        echo "installing requirements/$kind.lock and hetao into .venv" >&2
        local pip=(.venv/bin/python -m pip --disable-pip-version-check)
        # Exactly the locked files, each checked by hash; then hetao itself, built by the locked
        # setuptools with no build environment to fetch.
        "${pip[@]}" install --quiet --require-hashes --no-deps -r "requirements/$kind.lock"
        "${pip[@]}" install --quiet --no-deps --no-build-isolation -e .
        # --no-deps trusts the lock to be complete: a lock older than pyproject.toml shows here.
        local broken
        if ! broken="$("${pip[@]}" check)"; then
            echo "$broken" >&2
            echo "requirements/$kind.lock does not satisfy pyproject.toml: run scripts/lock" >&2
            return 1
        fi
        rm -f .venv/.installed-*
        touch "$stamp"
    fi
}

# The file that marks a .venv installed from this lock and this pyproject.toml (whose entry
# points and package data the editable install of hetao reflects).
installed_stamp() {
    echo ".venv/.installed-$1-$(cat "requirements/$1.lock" pyproject.toml | sha256sum | cut -c1-16)"
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

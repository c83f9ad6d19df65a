#!/bin/bash
# What a machine needs before `make install` (and `make test`) can install the rest (README,
# "Prerequisites"). Names each prerequisite that is missing or too old, with the version wanted,
# and exits 1 if there is any.
#
#   deploy/local/doctor.sh [--quiet] [install|test]
#
# install: what `make install` needs; test (the default): what `make test` needs besides.
# --quiet: print only what is wrong. Only bash builtins and the tools checked are called, so that
# it runs on a machine that has none of them.

set -u

quiet=false
mode=test
for arg in "$@"; do
    case $arg in
        --quiet) quiet=true ;;
        install | test) mode=$arg ;;
        *) echo "usage: $0 [--quiet] [install|test]" >&2; exit 2 ;;
    esac
done

here=${BASH_SOURCE[0]%/*}
[[ $here == "${BASH_SOURCE[0]}" ]] && here=.
REPO=$(cd "$here/../.." && pwd)
GO_MOD=$REPO/deploy/local/ferretdb/go.mod
problems=0

ok() {  # what, found
    $quiet || printf 'ok        %s: %s\n' "$1" "$2"
}

problem() {  # kind, what, detail
    problems=$((problems + 1))
    printf '%-9s %s: %s\n' "$1" "$2" "$3" >&2
}

# at_least FOUND WANTED: FOUND (e.g. 1.26.8) is WANTED (e.g. 1.26) or later.
at_least() {
    local -a have want
    local i h w
    IFS=. read -ra have <<< "$1"
    IFS=. read -ra want <<< "$2"
    for ((i = 0; i < ${#want[@]}; i++)); do
        h=${have[i]:-0}
        w=${want[i]}
        [[ $h =~ ^[0-9]+$ ]] || h=0
        ((10#$h > 10#$w)) && return 0
        ((10#$h < 10#$w)) && return 1
    done
    return 0
}

# version PATTERN TEXT: the first match of PATTERN's group 1 in TEXT.
version() {
    [[ $2 =~ $1 ]] && printf '%s' "${BASH_REMATCH[1]}"
}

# check WHAT TOOL WANTED FOUND [NOTE]: TOOL on PATH at version WANTED or later.
check() {
    local what=$1 tool=$2 wanted=$3 found=$4 note=${5:-}
    local label="$what $wanted or later ($tool)"
    if ! command -v "$tool" >/dev/null; then
        problem missing "$label" "not found${note:+; $note}"
    elif [[ -z $found ]]; then
        problem unknown "$label" "$tool does not say its version${note:+; $note}"
    elif ! at_least "$found" "$wanted"; then
        problem "too old" "$label" "found $found${note:+; $note}"
    else
        ok "$label" "$found"
    fi
}

run() {  # the output of a tool, if it is there
    command -v "$1" >/dev/null && "$@" 2>&1
}

go_wanted() {  # the `go` line of FerretDB's go.mod: GOTOOLCHAIN=local takes no newer toolchain
    local key value rest
    while read -r key value rest; do
        [[ $key == go ]] && { printf '%s' "$value"; return; }
    done < "$GO_MOD"
}

check_python() {
    local found venv=0
    found=$(run python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); import ensurepip, venv') \
        || venv=$?
    check Python python3 3.11 "$(version '^([0-9]+\.[0-9]+\.[0-9]+)' "$found")" \
        "uv and the suite's environment need it"
    if command -v python3 >/dev/null && ((venv != 0)); then
        problem missing "the venv module of python3" "not found; Debian and Ubuntu: apt-get install python3-venv"
    fi
}

check_install() {
    check_python
    check JDK java 17 "$(version 'version "([0-9]+(\.[0-9]+)*)' "$(run java -version)")" \
        "Kafka runs on it"
    check Maven mvn 3.6.3 "$(version 'Maven ([0-9]+\.[0-9]+\.[0-9]+)' "$(run mvn -v)")" \
        "it fetches Kafka's jars"
    check Go go "$(go_wanted)" "$(version 'go([0-9]+\.[0-9]+(\.[0-9]+)?)' "$(run go version)")" \
        "it builds FerretDB, as deploy/local/ferretdb/go.mod asks"
}

check_test() {
    check Node.js node 18 "$(version '^v([0-9]+\.[0-9]+\.[0-9]+)' "$(run node --version)")" \
        "make test runs the AsyncAPI parser on it"
    check npm npm 6 "$(version '^([0-9]+\.[0-9]+\.[0-9]+)' "$(run npm --version)")" \
        "it installs the AsyncAPI parser"
}

# Packages apt-get installs when they are missing: it must be there, and root or sudo.
check_apt() {
    local -a packages=()
    command -v promtool >/dev/null || packages+=(prometheus)
    if [[ $mode == test ]]; then
        if ! command -v chromium >/dev/null || [[ -z $(run fc-list :lang=zh) ]]; then
            packages+=(chromium fonts-wqy-microhei)
        fi
    fi
    if ((${#packages[@]} == 0)); then
        ok "Debian packages" "installed"
        return
    fi
    local wanted="${packages[*]}"
    if ! command -v apt-get >/dev/null; then
        problem missing "Debian or Ubuntu (apt-get)" "not found; it installs $wanted"
    fi
    if [[ $(run id -u) != 0 ]] && ! command -v sudo >/dev/null; then
        problem missing "root or sudo" "neither; apt-get needs one to install $wanted"
    elif ! $quiet; then
        ok "Debian packages" "$wanted to install with apt-get"
    fi
}

check_install
[[ $mode == test ]] && check_test
check_apt

if ((problems > 0)); then
    echo "$problems prerequisite(s) of make $mode missing or too old: README.md, \"Prerequisites\", says where each comes from" >&2
    exit 1
fi

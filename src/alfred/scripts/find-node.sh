#!/bin/sh
# Finds a Node.js that runs the workflow's program (Alfred brings none), then runs it:
#   find-node.sh MODE [ARG]   MODE: filter (Alfred's Script Filter), run (its Run Script), open (⌘↵)
# Looks, in this order, at: the workflow's node_path variable; Homebrew's /opt/homebrew/bin and /usr/local/bin;
# nvm's newest version; fnm's default, else its newest; Volta; /usr/bin; then the login shell's PATH. The first
# Node of version KS_NODE_MAJOR or later runs it. With none, it says how to install Node: an Alfred item for the
# Script Filter, a notification's text otherwise. KILLSWITCH_SYSTEM_ROOT prefixes the system folders (tests).
set -u

KS_NODE_MAJOR=20
here=$(dirname "$0")
root=${KILLSWITCH_SYSTEM_ROOT:-}
mode=${1:-}
# The newest Node found that is too old, for the message: "path (v18)".
too_old=""
found=""

# The major version of the Node at $1, when it runs and says a version; fails otherwise.
node_major() {
  version=$("$1" --version 2>/dev/null) || return 1
  case $version in
    v[0-9]*) ;;
    *) return 1 ;;
  esac
  major=${version#v}
  major=${major%%.*}
  case $major in
    '' | *[!0-9]*) return 1 ;;
  esac
  printf '%s\n' "$major"
}

# Takes the Node at $1 when it is recent enough (sets found); remembers it when it is too old.
try_node() {
  if [ ! -f "$1" ] || [ ! -x "$1" ]; then return 1; fi
  major=$(node_major "$1") || return 1
  if [ "$major" -ge "$KS_NODE_MAJOR" ]; then
    found=$1
    return 0
  fi
  too_old="$1 (v$major)"
  return 1
}

# 20.11.1 (or v20.11.1) as one number that orders versions; fails for anything else.
version_key() {
  v=${1#v}
  case $v in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) return 1 ;;
  esac
  vmajor=${v%%.*}
  rest=${v#*.}
  vminor=${rest%%.*}
  vpatch=${rest#*.}
  vpatch=${vpatch%%[!0-9]*}
  case "$vmajor$vminor$vpatch" in
    '' | *[!0-9]*) return 1 ;;
  esac
  printf '%s\n' $((vmajor * 1000000 + vminor * 1000 + vpatch))
}

# The Node of the newest version folder in $1 (nvm's versions/node, fnm's node-versions), $2 the path inside it.
newest_node_in() {
  best=""
  best_key=-1
  for dir in "$1"/*; do
    [ -d "$dir" ] || continue
    key=$(version_key "${dir##*/}") || continue
    if [ "$key" -gt "$best_key" ]; then
      best_key=$key
      best="$dir/$2"
    fi
  done
  [ -n "$best" ] && printf '%s\n' "$best"
}

find_node() {
  [ -n "${node_path:-}" ] && try_node "$node_path" && return 0
  try_node "$root/opt/homebrew/bin/node" && return 0
  try_node "$root/usr/local/bin/node" && return 0
  nvm_dir=${NVM_DIR:-$HOME/.nvm}
  candidate=$(newest_node_in "$nvm_dir/versions/node" bin/node) && try_node "$candidate" && return 0
  for fnm_dir in "${FNM_DIR:-}" "$HOME/Library/Application Support/fnm" "$HOME/.local/share/fnm" "$HOME/.fnm"; do
    if [ -z "$fnm_dir" ] || [ ! -d "$fnm_dir" ]; then continue; fi
    try_node "$fnm_dir/aliases/default/bin/node" && return 0
    candidate=$(newest_node_in "$fnm_dir/node-versions" installation/bin/node) && try_node "$candidate" && return 0
  done
  try_node "${VOLTA_HOME:-$HOME/.volta}/bin/node" && return 0
  try_node "$root/usr/bin/node" && return 0
  # The login shell's PATH (what Terminal finds): its last line, when it is a path.
  candidate=$("${SHELL:-/bin/zsh}" -lc 'command -v node' 2>/dev/null </dev/null | tail -n 1)
  case $candidate in
    /*) try_node "$candidate" && return 0 ;;
  esac
  return 1
}

# Text as a JSON string's inside: backslashes and quotes escaped, control characters dropped.
json_text() {
  printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

if find_node; then
  exec "$found" "$here/alfred.cjs" "$@"
fi

title="Node.js $KS_NODE_MAJOR or Later Is Needed"
if [ -n "$too_old" ]; then
  why="Found only $too_old, too old."
else
  why="No Node.js found (Homebrew, nvm, fnm, Volta, /usr/bin or the login shell's PATH)."
fi
how="Install it with Homebrew (brew install node) or from nodejs.org, or set the workflow's node_path variable to a node."
if [ "$mode" = filter ]; then
  printf '{"items":[{"uid":"node-missing","title":"%s","subtitle":"%s %s","valid":false,' \
    "$(json_text "$title")" "$(json_text "$why")" "$(json_text "$how")"
  printf '"text":{"copy":"brew install node","largetype":"%s\\n\\n%s"},' "$(json_text "$why")" "$(json_text "$how")"
  printf '"mods":{"alt":{"valid":true,"arg":"brew install node","subtitle":"Copy: brew install node"},'
  printf '"cmd":{"valid":false,"subtitle":"Nothing to edit"}}}]}\n'
else
  printf '{"alfredworkflow":{"arg":"%s %s","variables":{"notification_title":"%s"}}}\n' \
    "$(json_text "$why")" "$(json_text "$how")" "$(json_text "$title")"
fi

#!/bin/sh
# VPN Kill Switch: everything the product does as root, in one POSIX sh script. The same text is the
# boot-time watchdog: Enable with "Protect from startup" installs it as <state dir>/watchdog.sh, and a
# LaunchDaemon runs its `watch` action at boot, every few seconds and on network changes.
#
# Each user action runs it exactly once, behind one administrator prompt:
#   /bin/sh -c "<this script>" killswitch-root ACTION SYSTEM_ROOT [OPTIONS...]
# launchd runs the installed copy:
#   /bin/sh "<state dir>/watchdog.sh" watch SYSTEM_ROOT
#
#   ACTION        enable | apply: load the rules, keep the watchdog's rule templates, install or remove it
#                 disable: remove our rules, our pf reference, the watchdog and our files
#                 uninstall: disable, and remove every file of ours whatever state it is in
#                 watch (the watchdog): put the kill switch back as recorded, following tunnel and network
#                 inspect: print the network and tunnels the watchdog sees and the rules it would load;
#                 changes nothing, needs no root
#   SYSTEM_ROOT   "" on a Mac. Tests name a fake macOS tree here, so this very script runs the fake
#                 pfctl and writes under the fake /Library. It only chooses which programs and files are
#                 used, which whoever can start this script as root could do anyway.
# Options of enable and apply:
#   --rules TEXT              the anchor's pf rules to load now; must end with a newline
#   --tunnel NAME             a tunnel the rules let through, recorded for the status (repeatable)
#   --kill SRC DST            kill pf states from SRC to DST, addresses or CIDR networks (repeatable)
#   --other-rules TEXT        the watchdog's rule template for any network not named below
#   --fail-closed-rules TEXT  what the watchdog loads when the rules it should load are missing, corrupt or
#                             refused: the VPN servers and link plumbing only (fail-closed.pf)
#   --network-rules ID TEXT   the template for the network whose identity is ID (repeatable)
#   --fixed-tunnel NAME       the templates let through this tunnel only (the user named it): never follow others
#   --trusted-tunnel NAME     the templates also let through this tunnel when it is up (repeatable)
#   --network ID              the network the rules were built for, recorded for the status
#   --portal-until SECONDS    a captive portal window in the rules closes then: a root timer closes it
#   --resolved HOST ADDRESSES HOST resolved to these comma-separated addresses (kept for when DNS is blocked)
#   --server-address ADDRESS  a VPN server's address (any origin): its connections are never cut (repeatable)
#   --server SPEC             a VPN server found in the routes (IP, IP:PORT/PROTO, [IPv6]:PORT/PROTO, IP/ikev2),
#                             recorded so a later Enable with the VPN down still passes it (repeatable)
#   --startup SCRIPT          install the watchdog, SCRIPT being this script's text; without it, remove it
#
# Rule templates are pf text in which lines starting with "#@@ " are filled in by the watchdog:
#   #@@ tunnels-none:TEXT     TEXT when no VPN tunnel is up
#   #@@ tunnels-some:TEXT     TEXT when one is, @TUNNEL@ replaced by the tunnels' names joined by ", "
#   #@@ each-tunnel:TEXT      TEXT once per tunnel let through, @TUNNEL@ replaced by its name
# The tunnels let through are the trusted ones that are up: the one `route -n get 1.1.1.1` names (it
# carries the default route, or the 0/1 + 128.0/1 split) first, then those --trusted-tunnel named.
#   #@@ until=SECONDS:TEXT    TEXT until then (a captive portal window, an exception that ends)
# Unfilled, every marker is a comment, so a template loaded as it is blocks everything but link plumbing.
#
# Exit status: 0 done; 64 bad arguments; 65 pf rejected the rules; 66 pf could not load or flush our
# anchor; 67 our anchor could not be put ahead of the other rules; 68 no pf reference could be taken;
# 69 the state directory is not safe to use; 70 apply while the kill switch is off; 71 another kill
# switch action is running.
# Standard output: a report read back from pf after the change, in sections that start with "@@ ".
#
# Every value arrives as an argument and is only ever expanded inside double quotes: nothing given to
# this script is evaluated as shell text.

set -u
umask 022
# System directories only (read-only under SIP); pf's own programs are called by absolute path.
PATH=/bin:/usr/bin:/sbin:/usr/sbin
export PATH
LC_ALL=C
export LC_ALL

KS_ID=com.vpnkillswitch.raycast
# A child of com.apple: the stock main ruleset's `anchor "com.apple/*"` evaluates children in path
# order, so 000.* runs before Apple's 200.AirDrop and 250.ApplicationFirewall, and attaching needs no
# change to the main ruleset. A child also survives a reload of the main ruleset (pf keeps non-empty
# rulesets), where a line of ours at the top of the main ruleset would be wiped by it.
KS_ANCHOR=com.apple/000.vpnkillswitch
KS_STATE_DIR="/Library/Application Support/$KS_ID"
KS_LAUNCH_DAEMON="/Library/LaunchDaemons/$KS_ID.plist"
# Written into watchdog.json, so the status can tell an outdated watchdog.
KS_VERSION=2
# Seconds between two watchdog checks (launchd StartInterval); the status calls it stale after three.
KS_WATCHDOG_INTERVAL=10

fail() { # fail STATUS MESSAGE
	printf '%s\n' "$2" >&2
	exit "$1"
}

warn() {
	printf '%s\n' "$*" >>"$WORK/warnings"
}

# Runs pfctl; what it says on stderr is left in $WORK/pf.err for the caller's message.
pf() {
	"$PFCTL" "$@" 2>"$WORK/pf.err"
}

# What pfctl said, without the two ALTQ notices every call prints (read only when needed: each
# program started costs time, and most calls need no message).
pf_said() {
	grep -v -e '^No ALTQ support in kernel$' -e '^ALTQ related functions disabled$' "$WORK/pf.err"
}

pf_message() {
	pf_said | tr '\n' ' ' | sed 's/ *$//'
}

is_address() { # an IPv4/IPv6 address or CIDR network: hex digits, dots, colons and one slash at most
	case $1 in
	'' | *[!0-9A-Fa-f.:/]* | */*/*) return 1 ;;
	esac
	return 0
}

is_tunnel_name() {
	case $1 in
	utun[0-9]* | tun[0-9]* | tap[0-9]* | ipsec[0-9]* | ppp[0-9]*) ;;
	*) return 1 ;;
	esac
	case $1 in *[!a-z0-9]*) return 1 ;; esac
	[ "${#1}" -le 15 ]
}

is_identity() { # gw=<ip>,mac=<mac|unknown>,net=<cidr|unknown>, as network/identity.ts prints it
	case $1 in
	gw=*,mac=*,net=*) ;;
	*) return 1 ;;
	esac
	case $1 in *[!0-9a-z=,.:/]*) return 1 ;; esac
	[ "${#1}" -le 100 ]
}

is_host_name() {
	case $1 in
	'' | -* | *[!A-Za-z0-9.-]*) return 1 ;;
	esac
	[ "${#1}" -le 253 ]
}

is_server() { # an address with an optional [..]:port/proto or /ikev2, as policy.ts formatEndpoint writes it
	case $1 in
	'' | *[!]0-9A-Fa-f.:/ikevtcpud[]*) return 1 ;;
	esac
	[ "${#1}" -le 64 ]
}

is_seconds() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ "${#1}" -le 12 ]
}

ends_with_newline() {
	case $1 in
	*'
') return 0 ;;
	esac
	return 1
}

# JSON string contents: our messages are plain text, pfctl's words may hold quotes. Plain text is
# printed as it is, without starting a program.
json_text() {
	case $1 in
	*[\\\"\	]* | *'
'*) printf '%s' "$1" | tr '\n\t' '  ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' ;;
	*) printf '%s' "$1" ;;
	esac
}

# One action at a time: a watchdog check must never run in the middle of a Disable (and re-arm what it
# removes). mkdir is atomic; a lock whose holder is gone (killed) is taken over.
take_lock() { # SECONDS_TO_WAIT
	waited=0
	while ! mkdir "$LOCK_DIR" 2>/dev/null; do
		[ -d "${LOCK_DIR%/*}" ] || return 1
		holder=$(sed -n '1s/^\([0-9][0-9]*\)$/\1/p' "$LOCK_DIR/pid" 2>/dev/null)
		if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
			rm -rf "$LOCK_DIR"
			continue
		fi
		[ "$waited" -lt "$1" ] || return 1
		waited=$((waited + 1))
		"$SLEEP" 1
	done
	LOCKED=yes
	# $$ names the main shell even in a subshell (the change timer); the parent of a new sh is this one.
	# shellcheck disable=SC2016 # expanded by that new sh, on purpose
	"$SH" -c 'echo "$PPID"' >"$LOCK_DIR/pid"
}

release_lock() {
	if [ "$LOCKED" = yes ]; then rm -rf "$LOCK_DIR"; fi
	LOCKED=no
}

# The directory is created by root and must stay root's: anything else could swap the files pf loads.
ensure_state_dir() {
	if [ -L "$STATE_DIR" ]; then fail 69 "$STATE_DIR is a symbolic link; not using it"; fi
	if [ ! -d "$STATE_DIR" ]; then
		mkdir -p "$STATE_DIR" || fail 69 "cannot create $STATE_DIR"
	fi
	[ -O "$STATE_DIR" ] || fail 69 "$STATE_DIR belongs to another user; not using it"
	chmod 0755 "$STATE_DIR" || fail 69 "cannot set the permissions of $STATE_DIR"
}

state_dir_is_ours() {
	[ -d "$STATE_DIR" ] && [ ! -L "$STATE_DIR" ] && [ -O "$STATE_DIR" ]
}

# Fields of state.json, which this script writes on one line in a fixed shape. They are read with the
# shell's own commands into $FIELD (empty when missing or of another kind): no program is started, since
# each one costs time and a run reads several fields.
state_field() { # NAME: $FIELD is the raw value, up to the next comma or brace (or the whole string or list)
	FIELD=""
	state_line=""
	[ -f "$STATE_DIR/state.json" ] || return 0
	IFS= read -r state_line <"$STATE_DIR/state.json" || [ -n "$state_line" ] || return 0
	case $state_line in *"\"$1\":"*) ;; *) return 0 ;; esac
	FIELD=${state_line#*"\"$1\":"}
	case $FIELD in
	\"*)
		FIELD=${FIELD#\"}
		FIELD="\"${FIELD%%\"*}\""
		;;
	# A list of strings ends at its first `"]` (a string never holds a quote; a server may hold a bracket).
	\[\]*) FIELD="[]" ;;
	\[*) FIELD="${FIELD%%\"]*}\"]" ;;
	*) FIELD=${FIELD%%[,\}]*} ;;
	esac
}

state_number() { # NAME
	state_field "$1"
	case $FIELD in '' | *[!0-9]*) FIELD="" ;; esac
}

state_string() { # NAME
	state_field "$1"
	case $FIELD in
	\"*\") FIELD=${FIELD#\"}; FIELD=${FIELD%\"} ;;
	*) FIELD="" ;;
	esac
}

state_list() { # NAME: ["a","b"] -> "a b"
	state_field "$1"
	case $FIELD in \[*\]) ;; *)
		FIELD=""
		return 0
		;;
	esac
	list=${FIELD#\[}
	list=${list%\]}
	FIELD=""
	while [ -n "$list" ]; do
		item=${list%%,*}
		item=${item#\"}
		FIELD="$FIELD${FIELD:+ }${item%\"}"
		case $list in *,*) list=${list#*,} ;; *) list="" ;; esac
	done
}

recorded_on() {
	state_string status
	[ "$FIELD" = on ]
}

recorded_true() { # NAME
	state_field "$1"
	[ "$FIELD" = true ]
}

# Replaces our anchor's rules and tables in one transaction: pf runs the old rules or the new ones,
# never a mix and never none.
load() { # FILE
	pf -a "$KS_ANCHOR" -f "$1"
}

anchor_is_empty() {
	if pf -a "$KS_ANCHOR" -sr >"$WORK/ours"; then
		[ ! -s "$WORK/ours" ]
		return
	fi
	# pf answers "Invalid argument" for an anchor that does not exist.
	grep -q 'Invalid argument' "$WORK/pf.err"
}

# Our rules are in force when pf lists our anchor's last rule (every ruleset we build ends with it).
anchor_in_force() {
	pf -a "$KS_ANCHOR" -sr >"$WORK/ours" && grep -qx 'block drop in quick all' "$WORK/ours"
}

# Rules the watchdog may load: they end with our two final blocks, so a lost or truncated file can never
# replace the kill switch with nothing.
rules_complete() { # FILE
	awk '$0 == "block return out quick all" { out = 1 } $0 == "block drop in quick all" { in_ = 1 } END { exit !(out && in_) }' "$1"
}

flush_anchor() {
	# Scoped by -a to our own anchor: its rules and tables go, every other rule and anchor stays.
	pf -a "$KS_ANCHOR" -F all && return 0
	anchor_is_empty
}

# The main ruleset as `pfctl -R -f` reloads it, from `pfctl -sr` output ($1) with the lines of $2 put
# before the first filter rule: scrub rules, then the dummynet rules (Apple's pfctl may count those with
# the filter rules, so they are carried over rather than risked), then the filter rules.
main_filter_rules() { # PRINTED_RULES FIRST_LINES
	grep '^scrub' "$1"
	if pf -s dummynet >"$WORK/dummynet"; then grep '^dummynet' "$WORK/dummynet"; fi
	cat "$2"
	grep -v '^scrub' "$1"
}

# Our rules must come before any rule that could pass traffic. On a stock Mac the main ruleset's first
# filter rule is `anchor "com.apple/*"`, which runs our com.apple/000 child first. Internet Sharing and
# virtualisation tools replace the main ruleset, sometimes without that line; then we put a reference to
# our anchor at the top of the main filter rules and keep every other rule as pf prints it. `-R` reloads
# the filter rules only: translation rules, tables and other anchors stay as they are.
# /etc/pf.conf is never read or loaded.
attach() {
	ATTACHMENT=none
	ATTACH_CHANGED=no
	if ! pf -sr >"$WORK/main"; then
		ATTACH_PROBLEM="pf could not list the main ruleset: $(pf_message)"
		return 1
	fi
	first=""
	while IFS= read -r line; do
		case $line in scrub*) ;; *)
			first=$line
			break
			;;
		esac
	done <"$WORK/main"
	# Exactly these lines: `anchor "com.apple/*" on en1 all` would run our rules for en1 only.
	case $first in
	'anchor "com.apple/*" all')
		if ! sibling_first; then
			ATTACHMENT=com.apple
			return 0
		fi
		;;
	"anchor \"$KS_ANCHOR\" all")
		ATTACHMENT=main
		return 0
		;;
	esac
	if grep -q '[{}]' "$WORK/main"; then
		ATTACH_PROBLEM="the main ruleset holds inline anchors, which cannot be reloaded as pf prints them"
		return 1
	fi
	printf 'anchor "%s" all\n' "$KS_ANCHOR" >"$WORK/ours.line"
	main_filter_rules "$WORK/main" "$WORK/ours.line" >"$WORK/main.pf"
	if pf -n -R -f "$WORK/main.pf" && pf -R -f "$WORK/main.pf"; then
		ATTACHMENT=main
		ATTACH_CHANGED=yes
		warn "Apple's anchor point is not the main ruleset's first rule for every interface, or another anchor runs ahead of ours there; a reference to the kill switch anchor was added at the top of the main ruleset."
		return 0
	fi
	ATTACH_PROBLEM="pf refused the main ruleset with the kill switch reference added: $(pf_message)"
	return 1
}

# Whether another child of com.apple sorts before ours (`com.apple/0x`, `com.apple/-x`): pf runs the
# children of `anchor "com.apple/*"` in path order, so its rules would decide packets before ours do.
sibling_first() {
	pf -a com.apple -s Anchors >"$WORK/siblings" || return 1
	awk -v ours="${KS_ANCHOR#com.apple/}" '
		{ name = $1; sub(/^com\.apple\//, "", name) }
		name != "" && name !~ /\// && name != ours && name < ours { found = 1 }
		END { exit !found }
	' "$WORK/siblings"
}

# Takes back the reference attach added, if it is there; Apple's own lines are never touched.
detach() {
	pf -sr >"$WORK/main" || return 1
	grep -qF "anchor \"$KS_ANCHOR\"" "$WORK/main" || return 0
	if grep -q '[{}]' "$WORK/main"; then return 1; fi
	grep -vF "anchor \"$KS_ANCHOR\"" "$WORK/main" >"$WORK/main.rest"
	: >"$WORK/none.line"
	main_filter_rules "$WORK/main.rest" "$WORK/none.line" >"$WORK/main.pf"
	pf -n -R -f "$WORK/main.pf" && pf -R -f "$WORK/main.pf"
}

# Our pf reference (pfctl -E): pf runs while anyone holds one, and releasing ours never stops pf for
# the others. The token is kept twice (token, state.json), both writable by root only.
# Sets TOKEN to the recorded token: the token file, else state.json; digits only.
read_recorded_token() {
	TOKEN=""
	if [ -f "$STATE_DIR/token" ]; then IFS= read -r TOKEN <"$STATE_DIR/token" || true; fi
	if [ -z "$TOKEN" ]; then
		state_string reference
		TOKEN=$FIELD
	fi
	case $TOKEN in *[!0-9]*) TOKEN="" ;; esac
}

reference_listed() { # TOKEN
	pf -s References >"$WORK/references" || return 1
	awk -v token="$1" 'NR > 1 { for (i = 1; i <= NF; i++) if ($i == token) found = 1 } END { exit !found }' "$WORK/references"
}

take_reference() {
	if ! "$PFCTL" -E >"$WORK/enable.out" 2>&1; then
		cp "$WORK/enable.out" "$WORK/pf.err"
		return 1
	fi
	TOKEN=$(sed -n 's/^Token : \([0-9][0-9]*\)$/\1/p' "$WORK/enable.out" | sed -n 1p)
	if [ -z "$TOKEN" ]; then
		echo "pfctl -E printed no token" >"$WORK/pf.err"
		return 1
	fi
	# Written at once, before anything else can fail, so Disable can always give it back.
	(umask 077 && printf '%s\n' "$TOKEN" >"$STATE_DIR/token.new") && mv -f "$STATE_DIR/token.new" "$STATE_DIR/token"
}

hold_reference() {
	read_recorded_token
	if [ -n "$TOKEN" ] && reference_listed "$TOKEN"; then
		REFERENCE=kept
		return 0
	fi
	take_reference || return 1
	REFERENCE=taken
}

release() {
	read_recorded_token
	if [ -z "$TOKEN" ] && [ "$WAS_ON" = no ]; then
		REFERENCE=none
		return 0
	fi
	if [ -z "$TOKEN" ]; then
		REFERENCE=unidentified
		warn "No record of the kill switch's pf reference was found, so none was released. A leftover reference only keeps pf running with the other rules; it is gone after a restart."
		return 0
	fi
	if ! reference_listed "$TOKEN"; then
		REFERENCE=gone
		return 0
	fi
	if pf -X "$TOKEN"; then
		REFERENCE=released
	else
		REFERENCE=release-failed
		warn "pf did not release the kill switch's reference $TOKEN: $(pf_message)"
	fi
}

# States outlive rules: a connection opened before the kill switch would keep flowing. The states are
# floating (not bound to an interface), so they are picked by address: from each physical address to
# everything but the VPN servers, which keeps the VPN's own connection alive. The caller lists the
# pairs; pairs that match no state listed now are skipped, since each pfctl call takes time and most of
# the address space has no connection. Any address this cannot read counts as a match.
select_kills() {
	awk '
		function v4(a,   p) {
			if (split(a, p, ".") != 4) return -1
			return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4]
		}
		function pad(g) {
			if (g == "" || length(g) > 4) return "?"
			while (length(g) < 4) g = "0" g
			return g
		}
		function v6(a,   halves, n, head, tail, nh, nt, i, out) {
			sub(/%.*/, "", a)
			if (a ~ /[^0-9A-Fa-f:]/) return ""
			n = split(a, halves, "::")
			if (n > 2) return ""
			nh = halves[1] == "" ? 0 : split(halves[1], head, ":")
			nt = (n == 2 && halves[2] != "") ? split(halves[2], tail, ":") : 0
			if ((n == 1 && nh != 8) || (n == 2 && nh + nt > 7)) return ""
			out = ""
			for (i = 1; i <= nh; i++) out = out pad(head[i])
			for (i = nh + nt; n == 2 && i < 8; i++) out = out "0000"
			for (i = 1; i <= nt; i++) out = out pad(tail[i])
			return out ~ /\?/ ? "" : tolower(out)
		}
		function within(a, spec,   parts, bits, x, y, digits, rest, cx, cy) {
			if (split(spec, parts, "/") == 1) parts[2] = spec ~ /:/ ? 128 : 32
			bits = parts[2]
			if ((a ~ /:/) != (parts[1] ~ /:/)) return 0
			if (a !~ /:/) {
				x = v4(a); y = v4(parts[1])
				if (x < 0 || y < 0) return 1
				return int(x / 2 ^ (32 - bits)) == int(y / 2 ^ (32 - bits))
			}
			x = v6(a); y = v6(parts[1])
			if (x == "" || y == "") return 1
			digits = int(bits / 4)
			if (substr(x, 1, digits) != substr(y, 1, digits)) return 0
			rest = bits % 4
			if (rest == 0) return 1
			cx = index("0123456789abcdef", substr(x, digits + 1, 1)) - 1
			cy = index("0123456789abcdef", substr(y, digits + 1, 1)) - 1
			return int(cx / 2 ^ (4 - rest)) == int(cy / 2 ^ (4 - rest))
		}
		FILENAME == ARGV[1] {
			for (i = 1; i <= NF; i++) {
				token = $i
				if (token ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(:[0-9]+)?$/) sub(/:[0-9]+$/, "", token)
				else if (token ~ /^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(%[A-Za-z0-9]+)?(\[[0-9]+\])?$/) sub(/\[[0-9]+\]$/, "", token)
				else continue
				addresses[FNR] = addresses[FNR] " " token
			}
			next
		}
		{
			for (line in addresses) {
				n = split(substr(addresses[line], 2), list, " ")
				for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
					if (i != j && within(list[i], $1) && within(list[j], $2)) { print; next }
			}
		}
	' "$1" "$2"
}

kill_states() { # FILE of "SRC DST" lines
	KILLED=0
	[ -s "$1" ] || return 0
	if pf -s states >"$WORK/states"; then
		select_kills "$WORK/states" "$1" >"$WORK/kills.now" || cp "$1" "$WORK/kills.now"
	else
		cp "$1" "$WORK/kills.now"
	fi
	while read -r src dst; do
		[ -n "$src" ] || continue
		if pf -k "$src" -k "$dst"; then
			n=$(sed -n 's/^killed \([0-9][0-9]*\) states.*/\1/p' "$WORK/pf.err" | sed -n 1p)
			KILLED=$((KILLED + ${n:-0}))
		else
			warn "pf could not clear the connections from $src to $dst: $(pf_message)"
		fi
	done <"$WORK/kills.now"
}

# Cuts what the rules just loaded may no longer pass: every state outside the tunnels let through now
# ($TUNNELS), the VPN servers' connections, loopback and link-local IPv6 aside. Computed from the states
# and addresses of now, so it also catches what an old address or a closed window left. A flow the rules
# still pass makes a new state with its next packet (every pass is `flags any` or stateless).
withdraw_states() {
	pf -s states >"$WORK/states" || return 0
	[ -s "$WORK/ifconfig" ] || read_interfaces
	# pfctl -s states: "IF PROTO LOCAL ARROW REMOTE [ARROW REMOTE] STATE", IPv4 as a:port, IPv6 as a[port].
	awk -v tunnels="$TUNNELS" -v servers="$SERVER_ADDRESSES" '
		BEGIN {
			n = split(tunnels, list, " "); for (i = 1; i <= n; i++) tunnel[list[i]] = 1
			n = split(servers, list, " "); for (i = 1; i <= n; i++) server[list[i]] = 1
		}
		function host(token) {
			if (token ~ /\[/) { sub(/\[.*/, "", token); return token }
			if (token ~ /^[0-9.]+:[0-9]+$/) sub(/:[0-9]+$/, "", token)
			return token
		}
		FILENAME == ARGV[1] {
			if ($0 ~ /^[a-z]/) { name = $1; sub(/:$/, "", name); next }
			if (tunnel[name] && ($1 == "inet" || $1 == "inet6")) { a = $2; sub(/%.*/, "", a); ours[a] = 1 }
			next
		}
		$4 == "->" || $4 == "<-" {
			local = host($3)
			remote = host(($6 == "->" || $6 == "<-") ? $7 : $5)
			if (ours[local] || server[remote] || server[local]) next
			if (local ~ /^(127\.|::1$|fe[89ab][0-9a-f]:)/ || remote ~ /^(127\.|::1$)/) next
			# xnu matches -k SRC -k DST against the Mac side of an outbound state, the far side of an inbound one.
			print ($4 == "->") ? local " " remote : remote " " local
		}
	' "$WORK/ifconfig" "$WORK/states" | sort -u >"$WORK/withdrawn"
	while read -r src dst; do
		if pf -k "$src" -k "$dst"; then
			n=$(sed -n 's/^killed \([0-9][0-9]*\) states.*/\1/p' "$WORK/pf.err" | sed -n 1p)
			KILLED=$((KILLED + ${n:-0}))
		fi
	done <"$WORK/withdrawn"
}

# The boot time, read once a run into $BOOT_TIME (each program started costs time).
read_boot_time() {
	[ -z "$BOOT_TIME" ] || return 0
	# { sec = 1700000000, usec = 123456 } Tue Nov 14 22:13:20 2023
	boot_line=$("$SYSCTL" -n kern.boottime 2>/dev/null)
	case $boot_line in *"{ sec = "*) ;; *) return 0 ;; esac
	BOOT_TIME=${boot_line#*"{ sec = "}
	BOOT_TIME=${BOOT_TIME%%,*}
	case $BOOT_TIME in '' | *[!0-9]*) BOOT_TIME="" ;; esac
}

pf_enabled() {
	pf -s info >"$WORK/info" || return 1
	IFS= read -r info_line <"$WORK/info" || return 1
	case $info_line in "Status: Enabled"*) return 0 ;; esac
	return 1
}

# --- The network, read the way src/network reads it (same fixtures, same answers) ------------------

# `ifconfig -a` once per run: tunnels and the gateway's subnet both come from it.
read_interfaces() {
	"$IFCONFIG" -a >"$WORK/ifconfig" 2>/dev/null || : >"$WORK/ifconfig"
}

# The tunnels to let through (see the head of this file): the tunnel carrying the default route, then the
# named ones of the VPN tunnels that are up (utun/tun/tap/ipsec/ppp with an IPv4 or a non-link-local IPv6
# address; macOS's own utuns carry only link-local ones). Any other tunnel is some app's, not the VPN.
# With "*" for INTERNET_INTERFACE: every VPN tunnel that is up, in ifconfig order (for inspect).
vpn_tunnels() { # INTERNET_INTERFACE TRUSTED_NAMES
	awk -v internet="$1" -v named="$2" '
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+</ {
			name = $1; sub(/:$/, "", name); sub(/^[ \t]+/, "", name)
			tunnel = name ~ /^(utun|tun|tap|ipsec|ppp)[0-9]+$/
			next
		}
		!tunnel || up[name] { next }
		$1 == "inet" && $2 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ { up[name] = 1; listed[++m] = name; next }
		$1 == "inet6" {
			address = tolower($2); sub(/%.*/, "", address)
			if (address ~ /:/ && address !~ /[^0-9a-f:.]/ && address !~ /^fe[89ab][0-9a-f]:/) { up[name] = 1; listed[++m] = name }
		}
		END {
			if (internet == "*") for (i = 1; i <= m; i++) order[++n] = listed[i]
			else if (internet ~ /^(utun|tun|tap|ipsec|ppp)[0-9]+$/) { order[++n] = internet; seen[internet] = 1 }
			count = split(named, names, " ")
			for (i = 1; i <= count; i++) if (up[names[i]] && !seen[names[i]]) { order[++n] = names[i]; seen[names[i]] = 1 }
			for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""), order[i]
			if (n) printf "\n"
		}
	' "$WORK/ifconfig"
}

# The physical network's IPv4 router as "ADDRESS INTERFACE", looked up as network/routing.ts does:
# the kernel's route to the Internet when it leaves through a physical interface, else the table's
# default routes on a physical interface (unscoped first: a full-tunnel VPN leaves en0's scoped), else
# `route -n get default`.
# `route -n get TARGET` as "GATEWAY INTERFACE INTERFACE": the physical gateway and its interface, or
# "- -", then the interface the route leaves by (a tunnel for a full-tunnel VPN), or "-".
route_get_gateway() { # TARGET
	"$ROUTE" -n get "$1" 2>/dev/null | awk '
		function ipv4(a,   p, i) {
			if (split(a, p, ".") != 4) return 0
			for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return 0
			return 1
		}
		$1 == "gateway:" { gateway = $2 }
		$1 == "interface:" { ifname = $2 }
		END {
			physical = ipv4(gateway) && ifname ~ /^(en|bridge|ap|vmnet)[0-9]+$/
			print (physical ? gateway " " ifname : "- -"), (ifname ~ /^[a-z]+[0-9]+$/ ? ifname : "-")
		}
	'
}

netstat_gateway() {
	"$NETSTAT" -rn 2>/dev/null | awk '
		function ipv4(a,   p, i) {
			if (split(a, p, ".") != 4) return 0
			for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return 0
			return 1
		}
		$1 == "Internet:" { family = 4; column = 0; next }
		$1 == "Internet6:" { family = 6; column = 0; next }
		$1 == "Destination" { column = 0; for (i = 4; i <= NF; i++) if ($i == "Netif") column = i; next }
		family == 6 || $1 != "default" || NF < 3 || $3 !~ /^[UGHRDMmdCXLS123WcBbIiYrg]+$/ || $3 ~ /[RB]/ || !ipv4($2) { next }
		{
			ifname = ""
			if (column) ifname = $column
			else for (i = 4; i <= NF; i++) if ($i ~ /^[a-zA-Z][a-zA-Z0-9]*[0-9]$/) { ifname = $i; break }
			if (ifname !~ /^(en|bridge|ap|vmnet)[0-9]+$/) next
			if ($3 ~ /I/) { if (scoped == "") scoped = $2 " " ifname }
			else if (unscoped == "") unscoped = $2 " " ifname
		}
		END { if (unscoped != "") print unscoped; else if (scoped != "") print scoped }
	'
}

# Sets GATEWAY ("ADDRESS INTERFACE" or empty) and INTERNET_IF (the interface the kernel sends 1.1.1.1
# out of, or empty). The lookups set variables rather than print, so no subshell wraps another: each
# one started costs time.
physical_gateway() {
	read -r gateway_address gateway_interface INTERNET_IF <<EOF
$(route_get_gateway 1.1.1.1)
EOF
	GATEWAY=""
	[ "$gateway_address" = - ] || GATEWAY="$gateway_address $gateway_interface"
	[ "${INTERNET_IF:--}" != - ] || INTERNET_IF=""
	[ -n "$GATEWAY" ] || GATEWAY=$(netstat_gateway)
	# Without a route to 1.1.1.1, the default route tells both (an IKEv2 default on ipsec0 has no gateway).
	if [ -z "$GATEWAY" ] || [ -z "$INTERNET_IF" ]; then
		read -r gateway_address gateway_interface default_interface <<EOF
$(route_get_gateway default)
EOF
		if [ -z "$GATEWAY" ] && [ "$gateway_address" != - ]; then GATEWAY="$gateway_address $gateway_interface"; fi
		if [ -z "$INTERNET_IF" ] && [ "$default_interface" != - ]; then INTERNET_IF=$default_interface; fi
	fi
}

# awk: normal(TEXT) is the MAC in TEXT in normal form (network/mac-address.ts), or "" when TEXT is none.
AWK_NORMAL_MAC='
	function normal(text,   o, n, i, out) {
		n = split(tolower(text), o, ":")
		if (n != 6) return ""
		out = ""
		for (i = 1; i <= 6; i++) {
			if (o[i] !~ /^[0-9a-f][0-9a-f]?$/) return ""
			out = out (i > 1 ? ":" : "") (length(o[i]) == 1 ? "0" : "") o[i]
		}
		return out
	}
'

# The router's MAC from the ARP table, else from its row in the routing table; lower case, two digits
# per octet. Sets MAC (empty when unknown).
gateway_mac() { # ADDRESS INTERFACE
	MAC=$("$ARP" -an 2>/dev/null | awk -v gw="($1)" -v ifname="$2" "$AWK_NORMAL_MAC"'
		$2 == gw && $3 == "at" && $5 == "on" && $6 == ifname && normal($4) != "" { print normal($4); exit }
	')
	if [ -z "$MAC" ]; then
		MAC=$("$NETSTAT" -rn 2>/dev/null | awk -v gw="$1" -v ifname="$2" "$AWK_NORMAL_MAC"'
			$1 == "Internet6:" { done = 1 }
			$1 == "Destination" { column = 0; for (i = 4; i <= NF; i++) if ($i == "Netif") column = i; next }
			done || NF < 3 { next }
			{
				destination = $1; sub(/\/32$/, "", destination)
				ifname_here = ""
				if (column) ifname_here = $column
				else for (i = 4; i <= NF; i++) if ($i ~ /^[a-zA-Z][a-zA-Z0-9]*[0-9]$/) { ifname_here = $i; break }
				if (destination == gw && ifname_here == ifname && normal($2) != "") { print normal($2); exit }
			}
		')
	fi
}

# The subnet of the router's interface: its first IPv4 address whose address/netmask holds the router.
gateway_subnet() { # ADDRESS INTERFACE
	awk -v gw="$1" -v ifname="$2" '
		function v4(a,   p, i) {
			if (split(a, p, ".") != 4) return -1
			for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return -1
			return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4]
		}
		function prefix(mask,   hex, i, c, value, bits, seen0) {
			# No {8}: interval expressions are missing from some awks.
			if (length(mask) != 10 || tolower(mask) !~ /^0x[0-9a-f]+$/) return -1
			hex = tolower(substr(mask, 3)); bits = 0; seen0 = 0
			for (i = 1; i <= 8; i++) {
				value = index("0123456789abcdef", substr(hex, i, 1)) - 1
				for (c = 8; c >= 1; c = c / 2) {
					if (value >= c) { if (seen0) return -1; bits++; value -= c }
					else seen0 = 1
				}
			}
			return bits
		}
		function dotted(n) {
			return int(n / 16777216) "." int(n / 65536) % 256 "." int(n / 256) % 256 "." n % 256
		}
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+</ {
			name = $1; sub(/:$/, "", name)
			if (inside) exit
			inside = name == ifname
			next
		}
		inside && $1 == "inet" {
			mask = ""
			for (i = 3; i < NF; i++) if ($i == "netmask") mask = $(i + 1)
			bits = prefix(mask); address = v4($2); router = v4(gw)
			if (bits < 0 || address < 0 || router < 0) next
			size = 2 ^ (32 - bits)
			if (int(address / size) == int(router / size)) { print dotted(int(address / size) * size) "/" bits; exit }
		}
	' "$WORK/ifconfig"
}

# The identity of the network the Mac is on (network/identity.ts): gw=<ip>,mac=<mac|unknown>,net=<cidr|unknown>.
# Sets IDENTITY (empty without a physical router).
network_identity() {
	IDENTITY=""
	physical_gateway
	[ -n "$GATEWAY" ] || return 0
	gateway_ip=${GATEWAY% *}
	gateway_if=${GATEWAY#* }
	gateway_mac "$gateway_ip" "$gateway_if"
	subnet=$(gateway_subnet "$gateway_ip" "$gateway_if")
	IDENTITY="gw=$gateway_ip,mac=${MAC:-unknown},net=${subnet:-unknown}"
}

# --- Rule templates ------------------------------------------------------------------------------------

fill_template() { # TEMPLATE TUNNELS NOW
	awk -v tunnels="$2" -v now="$3" '
		BEGIN {
			n = split(tunnels, name, " ")
			joined = ""
			for (i = 1; i <= n; i++) joined = joined (i > 1 ? ", " : "") name[i]
		}
		/^#@@ tunnels-none:/ { if (n == 0) print substr($0, 18); next }
		/^#@@ tunnels-some:/ { if (n > 0) { line = substr($0, 18); gsub(/@TUNNEL@/, joined, line); print line }; next }
		/^#@@ each-tunnel:/ { for (i = 1; i <= n; i++) { line = substr($0, 17); gsub(/@TUNNEL@/, name[i], line); print line }; next }
		/^#@@ until=[0-9]+:/ {
			rest = substr($0, 11); at = index(rest, ":")
			if (now + 0 < substr(rest, 1, at - 1) + 0) print substr(rest, at + 1)
			next
		}
		{ print }
	' "$1"
}

# The rules the kill switch should have now: the template of this network (or of any other network),
# filled in with the VPN tunnels that are up. Sets IDENTITY, TEMPLATE and TUNNELS; writes $1.
desired_rules() { # OUTPUT NOW
	read_interfaces
	network_identity
	TEMPLATE=""
	TUNNELS=""
	index="$STATE_DIR/rules/index"
	if [ ! -f "$index" ]; then
		# Enabled without templates: the rules stay as loaded, tunnels as recorded.
		TEMPLATE=anchor.pf
		state_list tunnels
		TUNNELS=$FIELD
		cp "$STATE_DIR/anchor.pf" "$1" 2>/dev/null || : >"$1"
		return
	fi
	# The index: "network FILE ID", "other FILE", "tunnels fixed NAME" or "tunnels auto [NAME...]" (the
	# trusted tunnels), a line each.
	other=""
	fixed=""
	trusted=""
	while read -r kind first second; do
		case $kind in
		network) if [ -z "$TEMPLATE" ] && [ -n "$IDENTITY" ] && [ "$second" = "$IDENTITY" ]; then TEMPLATE=$first; fi ;;
		other) [ -n "$other" ] || other=$first ;;
		tunnels)
			if [ "$first" = fixed ] && [ -z "$fixed" ]; then fixed=$second; fi
			if [ "$first" = auto ]; then trusted=$second; fi
			;;
		esac
	done <"$index"
	[ -n "$TEMPLATE" ] || TEMPLATE=$other
	if [ -n "$fixed" ]; then
		TUNNELS=$fixed
		fill_template "$STATE_DIR/rules/$TEMPLATE" "" "$2" >"$1"
	else
		TUNNELS=$(vpn_tunnels "$INTERNET_IF" "$trusted")
		fill_template "$STATE_DIR/rules/$TEMPLATE" "$TUNNELS" "$2" >"$1"
	fi
}

# The same rules, comments and blank lines aside: two such files load the same ruleset. One awk
# reads both (each program started costs time).
same_rules() { # FILE FILE
	[ -f "$2" ] || return 1
	awk '
		/^[ \t]*#/ || /^[ \t]*$/ { next }
		FILENAME == ARGV[1] { a[++na] = $0; next }
		{ b[++nb] = $0 }
		END {
			if (na != nb) exit 1
			for (i = 1; i <= na; i++) if (a[i] != b[i]) exit 1
		}
	' "$1" "$2"
}

# Keeps the templates given to enable/apply in rules/, replacing the previous set at once.
save_templates() {
	rm -rf "$STATE_DIR/rules.new"
	if [ "$HAVE_TEMPLATES" = no ]; then
		rm -rf "$STATE_DIR/rules"
		return 0
	fi
	if ! { mkdir "$STATE_DIR/rules.new" && cp "$WORK/templates/"* "$STATE_DIR/rules.new/"; }; then return 1; fi
	rm -rf "$STATE_DIR/rules.old"
	if [ -d "$STATE_DIR/rules" ]; then mv "$STATE_DIR/rules" "$STATE_DIR/rules.old"; fi
	mv "$STATE_DIR/rules.new" "$STATE_DIR/rules" && rm -rf "$STATE_DIR/rules.old"
}

# Each template must be rules pf accepts once filled in, or the watchdog could not load it later.
check_templates() { # NOW
	[ "$HAVE_TEMPLATES" = yes ] || return 0
	for file in "$WORK/templates/"*.pf; do
		fill_template "$file" "$TUNNELS" "$1" >"$WORK/template.check"
		pf -n -a "$KS_ANCHOR" -f "$WORK/template.check" ||
			fail 65 "pf rejected the watchdog's rules (${file##*/}): $(pf_said)"
	done
}

# --- Failing closed -----------------------------------------------------------------------------------

# Keeps the fail-closed rules Enable/Apply gave (none given: none kept, the built-in ones stand in).
save_fail_closed() {
	if [ "$HAVE_FAIL_CLOSED" = no ]; then
		rm -f "$STATE_DIR/fail-closed.pf"
		return 0
	fi
	cp "$WORK/fail-closed.pf" "$STATE_DIR/fail-closed.pf.new" && mv -f "$STATE_DIR/fail-closed.pf.new" "$STATE_DIR/fail-closed.pf"
}

# The last resort, when fail-closed.pf is missing, corrupt or refused too: loopback and link plumbing on
# every Ethernet and Wi-Fi interface (the same lines as the builder's), everything else blocked. No VPN
# server is known here, but nothing leaks and the Mac can still join its network.
builtin_fail_closed_rules() {
	printf '%s\n' "# VPN Kill Switch, built-in fail-closed rules: the kill switch's own rules could not be loaded." \
		"# Only loopback and link plumbing pass; enable the kill switch again to repair." \
		"pass quick on lo0 all flags any keep state"
	awk '/^en[0-9]+: / { sub(/:.*/, ""); print }' "$WORK/ifconfig" | while read -r link; do
		printf '%s\n' \
			"pass out quick on $link inet proto udp from any port 68 to 255.255.255.255 port 67 keep state" \
			"pass in quick on $link inet proto udp from any port 67 to any port 68 no state" \
			"pass out quick on $link inet6 proto udp from fe80::/10 port 546 to ff02::1:2 port 547 keep state" \
			"pass in quick on $link inet6 proto udp from fe80::/10 port 547 to fe80::/10 port 546 no state" \
			"pass out quick on $link inet6 proto icmp6 from any to { fe80::/10, ff02::/16 } icmp6-type { 133, 134, 135, 136, 137, 143 } no state" \
			"pass in quick on $link inet6 proto icmp6 from any to any icmp6-type { 130, 133, 134, 135, 136, 137 } no state"
	done
	printf '%s\n' "block return out quick proto { tcp, udp } from any to any port { 53, 853 }" \
		"block return out quick all" "block drop in quick all"
}

# Loads blocking rules in place of rules that cannot be used (REASON says why), puts them first and keeps
# pf on: fail-closed.pf when pf takes it, else the built-in rules. Records the result; never leaves pf open.
fail_closed() { # REASON
	loaded=""
	if [ -f "$STATE_DIR/fail-closed.pf" ] && rules_complete "$STATE_DIR/fail-closed.pf" &&
		pf -n -a "$KS_ANCHOR" -f "$STATE_DIR/fail-closed.pf" && load "$STATE_DIR/fail-closed.pf"; then
		loaded="the fail-closed rules (VPN servers and link plumbing only)"
	else
		[ -s "$WORK/ifconfig" ] || read_interfaces
		builtin_fail_closed_rules >"$WORK/built-in.pf"
		if load "$WORK/built-in.pf"; then loaded="the built-in fail-closed rules (link plumbing only)"; fi
	fi
	if [ -z "$loaded" ]; then
		write_watchdog_status failed "$1; no blocking rules could be loaded in their place: $(pf_message)" no
		return 1
	fi
	if ! attach; then
		write_watchdog_status failed "$1; $loaded are loaded but cannot be put ahead of the other pf rules: $ATTACH_PROBLEM" no
		return 1
	fi
	if ! hold_reference; then
		write_watchdog_status failed "$1; $loaded are loaded but pf could not be enabled: $(pf_message)" no
		return 1
	fi
	FAILED_CLOSED=yes
	TUNNELS=""
	state_list serverAddresses
	SERVER_ADDRESSES=$FIELD
	withdraw_states
	write_watchdog_status failed "$1; blocking with $loaded" no
	return 1
}

# --- Records ------------------------------------------------------------------------------------------

json_list() { # WORDS -> "a","b"
	list=""
	for word in $1; do list="$list${list:+,}\"$word\""; done
	printf '%s' "$list"
}

# state.json: what is in force, for the status (read without root) and the watchdog. Root's only.
write_state() {
	read_boot_time
	boot=$BOOT_TIME
	reference=null
	if [ -n "$TOKEN" ]; then reference="\"$TOKEN\""; fi
	network=null
	if [ -n "$NETWORK_ID" ]; then network="\"$NETWORK_ID\""; fi
	startup=false
	if [ "$STARTUP" = yes ]; then startup=true; fi
	printf '{"version":1,"status":"on","anchor":"%s","attachment":"%s","bootTime":%s,"changedAt":%s,"tunnels":[%s],"reference":%s,"captivePortalUntil":%s,"protectFromStartup":%s,"network":%s,"servers":[%s],"serverAddresses":[%s],"nextChangeAt":%s}\n' \
		"$KS_ANCHOR" "$ATTACHMENT" "${boot:-null}" "$NOW" "$(json_list "$TUNNELS")" "$reference" \
		"${PORTAL:-null}" "$startup" "$network" "$(json_list "$SERVERS")" "$(json_list "$SERVER_ADDRESSES")" \
		"${NEXT_CHANGE:-null}" \
		>"$STATE_DIR/state.json.new" &&
		mv -f "$STATE_DIR/state.json.new" "$STATE_DIR/state.json"
}

# resolved.json: what each host name in the settings resolved to, for when DNS is blocked later.
write_resolved() {
	[ -s "$WORK/resolved" ] || return 0
	hosts=""
	while read -r host addresses; do
		hosts="$hosts${hosts:+,}\"$host\":[$(json_list "$(printf '%s' "$addresses" | tr ',' ' ')")]"
	done <"$WORK/resolved"
	printf '{"version":1,"hosts":{%s}}\n' "$hosts" >"$STATE_DIR/resolved.json.new" &&
		mv -f "$STATE_DIR/resolved.json.new" "$STATE_DIR/resolved.json"
}

# watchdog.json: what the last check found and did, world-readable for the status.
write_watchdog_status() { # RESULT MESSAGE REPAIRED(yes|no)
	now=$NOW
	read_boot_time
	boot=$BOOT_TIME
	enabled=false
	if pf_enabled; then enabled=true; fi
	hash=null
	if [ -f "$STATE_DIR/anchor.pf" ]; then
		sum=$(cksum <"$STATE_DIR/anchor.pf")
		hash="\"${sum%% *}\""
	fi
	network=null
	if [ -n "$IDENTITY" ]; then network="\"$IDENTITY\""; fi
	template=null
	if [ -n "$TEMPLATE" ]; then template="\"$TEMPLATE\""; fi
	repair_at=null
	repair=null
	if [ "$3" = yes ]; then
		repair_at=$now
		repair="\"$(json_text "$2")\""
	elif [ -f "$STATE_DIR/watchdog.json" ]; then
		# The last repair stays on show until the next one.
		repair_at=$(sed -n 's/.*"lastRepairAt":\([0-9][0-9]*\).*/\1/p' "$STATE_DIR/watchdog.json")
		# lastRepair is the last field, so its string runs to the closing quote before the final brace.
		repair=$(sed -n 's/.*"lastRepair":\(".*"\)}$/\1/p' "$STATE_DIR/watchdog.json")
		[ -n "$repair_at" ] || repair_at=null
		[ -n "$repair" ] || repair=null
	fi
	failed_closed=false
	if [ "$FAILED_CLOSED" = yes ]; then failed_closed=true; fi
	printf '{"version":1,"watchdogVersion":%s,"intervalSeconds":%s,"checkedAt":%s,"bootTime":%s,"result":"%s","message":"%s","pfEnabled":%s,"attachment":"%s","rulesHash":%s,"rulesFile":%s,"tunnels":[%s],"network":%s,"failedClosed":%s,"lastRepairAt":%s,"lastRepair":%s}\n' \
		"$KS_VERSION" "$KS_WATCHDOG_INTERVAL" "$now" "${boot:-0}" "$1" "$(json_text "$2")" "$enabled" "$ATTACHMENT" \
		"$hash" "$template" "$(json_list "$TUNNELS")" "$network" "$failed_closed" "$repair_at" "$repair" >"$STATE_DIR/watchdog.json.new" &&
		mv -f "$STATE_DIR/watchdog.json.new" "$STATE_DIR/watchdog.json"
}

# --- The watchdog's LaunchDaemon ----------------------------------------------------------------------

# RunAtLoad: launchd loads /Library/LaunchDaemons at boot, before anyone logs in. StartInterval: a check
# every few seconds catches what no event announces (another program reloading pf) and runs after wake.
# WatchPaths: configd rewrites /var/run/resolv.conf whenever the DNS configuration changes, which every
# network join and VPN connect does, and SystemConfiguration/ holds the network preferences; launchd
# starts the job when either changes, so a new network or tunnel is followed within a moment.
launch_daemon_plist() {
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>$KS_ID</string>
	<key>ProgramArguments</key>
	<array>
		<string>$SH</string>
		<string>$STATE_DIR/watchdog.sh</string>
		<string>watch</string>
		<string>$SYSROOT</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>StartInterval</key>
	<integer>$KS_WATCHDOG_INTERVAL</integer>
	<key>WatchPaths</key>
	<array>
		<string>/private/var/run/resolv.conf</string>
		<string>/Library/Preferences/SystemConfiguration</string>
	</array>
</dict>
</plist>
EOF
}

daemon_loaded() {
	"$LAUNCHCTL" print "system/$KS_ID" >/dev/null 2>&1
}

# Installs (or refreshes) the watchdog: the script root-owned 0755, the plist root:wheel 0644 (BSD gives
# a new file its directory's group, wheel in /Library/LaunchDaemons), then loads it into launchd.
install_watchdog() {
	plist="$SYSROOT$KS_LAUNCH_DAEMON"
	mkdir -p "${plist%/*}" || return 1
	if ! { printf '%s' "$STARTUP_SCRIPT" >"$STATE_DIR/watchdog.sh.new" && chmod 0755 "$STATE_DIR/watchdog.sh.new"; }; then
		return 1
	fi
	if ! { launch_daemon_plist >"$plist.new" && chmod 0644 "$plist.new"; }; then return 1; fi
	if cmp -s "$STATE_DIR/watchdog.sh.new" "$STATE_DIR/watchdog.sh" && cmp -s "$plist.new" "$plist" && daemon_loaded; then
		rm -f "$STATE_DIR/watchdog.sh.new" "$plist.new"
		WATCHDOG=kept
		return 0
	fi
	if ! { mv -f "$STATE_DIR/watchdog.sh.new" "$STATE_DIR/watchdog.sh" && mv -f "$plist.new" "$plist"; }; then return 1; fi
	"$LAUNCHCTL" bootout "system/$KS_ID" >/dev/null 2>&1
	"$LAUNCHCTL" enable "system/$KS_ID" >/dev/null 2>&1
	if "$LAUNCHCTL" bootstrap system "$plist" 2>"$WORK/launchctl.err" || "$LAUNCHCTL" load -w "$plist" 2>>"$WORK/launchctl.err"; then
		WATCHDOG=installed
		return 0
	fi
	LAUNCHCTL_PROBLEM=$(tr '\n' ' ' <"$WORK/launchctl.err")
	return 1
}

# Stops and removes the watchdog; nothing of it is left in launchd or on disk.
remove_watchdog() {
	plist="$SYSROOT$KS_LAUNCH_DAEMON"
	if [ ! -f "$plist" ] && [ ! -f "$STATE_DIR/watchdog.sh" ] && ! daemon_loaded; then
		WATCHDOG=none
		return 0
	fi
	"$LAUNCHCTL" bootout "system/$KS_ID" >/dev/null 2>&1 || "$LAUNCHCTL" unload "$plist" >/dev/null 2>&1
	rm -f "$plist" "$plist.new" "$STATE_DIR/watchdog.sh" "$STATE_DIR/watchdog.sh.new"
	WATCHDOG=removed
	if daemon_loaded; then
		WATCHDOG=remove-failed
		warn "launchd still runs the kill switch's watchdog ($KS_ID); it changes nothing while the kill switch is off."
	fi
}

# --- The timer for the next change ------------------------------------------------------------------------

# The earliest time after NOW at which a template line stops (`#@@ until=`: a captive portal window, an
# exception that ends); empty when none does.
next_change_at() { # NOW
	[ -d "$STATE_DIR/rules" ] || return 0
	awk -v now="$1" '
		/^#@@ until=[0-9]+:/ {
			at = substr($0, 11); sub(/:.*/, "", at); at += 0
			if (at > now && (next_at == "" || at < next_at)) next_at = at
		}
		END { if (next_at != "") print next_at }
	' "$STATE_DIR/rules/"*.pf 2>/dev/null
}

# A detached root process loads the rules again when the next change is due (closing a portal window,
# ending an exception), with or without the watchdog, then waits for the one after. It sleeps in short
# steps against the wall clock, since a sleeping Mac does not count down `sleep`. It acts only if
# state.json still records this very time: a later Enable, Apply, watchdog check or Disable has the last word.
start_change_timer() { # AT
	(
		trap - EXIT
		trap '' HUP
		LOCKED=no
		at=$1
		while [ -n "$at" ]; do
			left=$((at - $("$DATE" +%s)))
			if [ "$left" -gt 0 ]; then
				[ "$left" -le 10 ] || left=10
				"$SLEEP" "$left"
				continue
			fi
			# In a subshell of its own, so its lock and work folder are gone before the next wait.
			at=$(change_due "$at")
		done
	) </dev/null >/dev/null 2>&1 &
}

# Prints the change after this one, when this run did it and there is one.
change_due() { # AT
	WORK=$(mktemp -d "$SYSROOT/tmp/killswitch.XXXXXX") || exit 1
	trap 'release_lock; rm -rf "$WORK"' EXIT
	: >"$WORK/warnings"
	take_lock 60 || exit 0
	NOW=$("$DATE" +%s)
	recorded_on || exit 0
	state_number nextChangeAt
	[ "$FIELD" = "$1" ] || exit 0
	refresh change-timer >/dev/null
	printf '%s\n' "$NEXT_CHANGE"
}

# --- Putting the kill switch back as recorded -------------------------------------------------------------

# The watchdog's check, also run by the change timer: loads the rules this network and these tunnels
# call for (closing an expired captive portal window), re-attaches our anchor, re-takes our pf reference,
# and records what it found. A repair is anything someone else undid: rules gone, anchor detached, pf
# stopped or our reference released.
refresh() { # WHO
	now=$NOW
	read_boot_time
	boot=$BOOT_TIME
	done_list=""
	repairs=""
	state_number captivePortalUntil
	PORTAL=$FIELD
	if [ -n "$PORTAL" ] && [ "$now" -ge "$PORTAL" ]; then
		PORTAL=""
		done_list="closed the captive portal window"
	fi
	STARTUP=no
	if recorded_true protectFromStartup; then STARTUP=yes; fi
	state_list servers
	SERVERS=$FIELD
	state_list serverAddresses
	SERVER_ADDRESSES=$FIELD
	state_list tunnels
	was_tunnels=$FIELD
	state_string network
	was_network=$FIELD
	state_number bootTime
	was_boot=$FIELD
	state_string attachment
	was_attachment=$FIELD
	state_number nextChangeAt
	was_next_change=$FIELD
	NEXT_CHANGE=$(next_change_at "$now")
	desired_rules "$WORK/desired.pf" "$now"
	if ! rules_complete "$WORK/desired.pf"; then
		fail_closed "the watchdog's rules for this network (${TEMPLATE:-none}) are missing or incomplete"
		return 1
	fi
	NETWORK_ID=$IDENTITY
	reload=no
	if ! anchor_in_force; then
		reload=yes
		if [ "$was_boot" != "$boot" ]; then
			repairs="loaded the rules after a restart"
		else
			repairs="put back the kill switch rules, which were gone from pf"
		fi
	elif ! same_rules "$WORK/desired.pf" "$STATE_DIR/anchor.pf"; then
		reload=yes
	fi
	if [ "$TUNNELS" != "$was_tunnels" ]; then
		done_list="$done_list${done_list:+, }now letting through ${TUNNELS:-no tunnel (blocking mode)}"
	fi
	if [ "$IDENTITY" != "$was_network" ]; then
		done_list="$done_list${done_list:+, }on network ${IDENTITY:-unknown} (rules $TEMPLATE)"
	fi
	if [ "$reload" = yes ]; then
		if ! pf -n -a "$KS_ANCHOR" -f "$WORK/desired.pf" || ! load "$WORK/desired.pf"; then
			fail_closed "pf refused the rules for this network ($TEMPLATE): $(pf_message)"
			return 1
		fi
		cp "$WORK/desired.pf" "$STATE_DIR/anchor.pf.new" && mv -f "$STATE_DIR/anchor.pf.new" "$STATE_DIR/anchor.pf"
	fi
	if ! attach; then
		write_watchdog_status failed "the kill switch rules cannot be put ahead of the other pf rules: $ATTACH_PROBLEM" no
		return 1
	fi
	if [ "$ATTACH_CHANGED" = yes ]; then repairs="$repairs${repairs:+, }re-attached the kill switch anchor to the main ruleset"; fi
	if ! hold_reference; then
		write_watchdog_status failed "pf could not be enabled for the kill switch: $(pf_message)" no
		return 1
	fi
	if [ "$REFERENCE" = taken ] && [ "$was_boot" = "$boot" ]; then
		repairs="$repairs${repairs:+, }enabled pf again (it was stopped or the kill switch's reference was released)"
	fi
	if [ "$reload" = yes ]; then
		withdraw_states
		if [ "$KILLED" -gt 0 ]; then done_list="$done_list${done_list:+, }cut $KILLED connections the new rules do not pass"; fi
	fi
	if [ "$reload" = yes ] || [ -n "$repairs" ] || [ -n "$done_list" ] || [ "$ATTACHMENT" != "$was_attachment" ] ||
		[ "$NEXT_CHANGE" != "$was_next_change" ]; then
		write_state || warn "The state file could not be written."
	fi
	# Connections opened while the rules were not in force would outlive them.
	if [ -n "$repairs" ] && [ -f "$STATE_DIR/kills" ]; then kill_states "$STATE_DIR/kills"; fi
	if [ -n "$repairs" ]; then
		write_watchdog_status repaired "$repairs${done_list:+; }$done_list" yes
	else
		write_watchdog_status ok "${done_list:-rules in force}" no
	fi
}

# --- Actions ------------------------------------------------------------------------------------------------

report() {
	printf '@@ result\naction=%s\nattachment=%s\nreference=%s\nkilled=%s\nwatchdog=%s\n' \
		"$ACTION" "$ATTACHMENT" "$REFERENCE" "$KILLED" "$WATCHDOG"
	if [ -n "$PORTAL" ]; then printf 'captivePortalUntil=%s\n' "$PORTAL"; fi
	printf '@@ warnings\n'
	cat "$WORK/warnings"
	printf '@@ anchor\n'
	pf -a "$KS_ANCHOR" -sr || true
	printf '@@ info\n'
	pf -s info || true
	printf '@@ references\n'
	pf -s References || true
	if [ -s "$WORK/removed" ]; then
		printf '@@ removed\n'
		cat "$WORK/removed"
	fi
	printf '@@ end\n'
}

# Previous rules back, or none: after a failure pf runs what it ran before, or the whole kill switch.
roll_back() {
	if [ -n "$PREVIOUS" ] && load "$PREVIOUS"; then return 0; fi
	flush_anchor || warn "The kill switch rules could not be removed after the failure: $(pf_message)"
	detach || true
}

do_on() {
	[ "$HAVE_RULES" = yes ] || fail 64 "--rules is required for $ACTION"
	ends_with_newline "$RULES" || fail 64 "the rules must end with a newline"
	take_lock 30 || fail 71 "Another kill switch action is running; try again in a moment."
	if [ "$ACTION" = apply ] && ! recorded_on; then fail 70 "The kill switch is off: there is nothing to apply."; fi
	ensure_state_dir
	now=$NOW
	# A window that ended while the prompt waited is still in the rules: the timer closes it at once.
	printf '%s' "$RULES" >"$WORK/anchor.pf" || fail 69 "cannot write the rules to $WORK"
	pf -n -a "$KS_ANCHOR" -f "$WORK/anchor.pf" || fail 65 "$(pf_said)"
	check_templates "$now"
	if [ "$HAVE_FAIL_CLOSED" = yes ]; then
		rules_complete "$WORK/fail-closed.pf" || fail 64 "the fail-closed rules must end with the kill switch's final blocks"
		pf -n -a "$KS_ANCHOR" -f "$WORK/fail-closed.pf" || fail 65 "pf rejected the fail-closed rules: $(pf_said)"
	fi
	PREVIOUS=""
	if recorded_on && [ -f "$STATE_DIR/anchor.pf" ] && cp "$STATE_DIR/anchor.pf" "$WORK/previous.pf"; then
		PREVIOUS="$WORK/previous.pf"
	fi
	load "$WORK/anchor.pf" || fail 66 "pf could not load the kill switch rules: $(pf_message)"
	if ! attach; then
		roll_back
		fail 67 "The kill switch rules cannot be put ahead of the other pf rules: $ATTACH_PROBLEM"
	fi
	if ! hold_reference; then
		said=$(pf_message)
		roll_back
		fail 68 "pf could not be enabled for the kill switch: $said"
	fi
	if ! { cp "$WORK/anchor.pf" "$STATE_DIR/anchor.pf.new" && mv -f "$STATE_DIR/anchor.pf.new" "$STATE_DIR/anchor.pf"; }; then
		warn "The rules in force could not be saved to $STATE_DIR/anchor.pf."
	fi
	save_templates || warn "The watchdog's rules could not be saved; it will keep the rules loaded now."
	save_fail_closed || warn "The fail-closed rules could not be saved; the watchdog would fall back to link plumbing only."
	printf '%s' "$KILLS" >"$WORK/kills"
	# Kept for the watchdog, which kills what opened while the rules were not in force (an Apply that
	# keeps connections sends none and leaves the last list).
	if [ -s "$WORK/kills" ]; then cp "$WORK/kills" "$STATE_DIR/kills" || true; fi
	write_resolved || warn "The resolved host names could not be recorded."
	if [ "$STARTUP" = yes ]; then
		if ! install_watchdog; then
			STARTUP=no
			WATCHDOG=failed
			warn "Protection from startup could not be installed (launchctl: ${LAUNCHCTL_PROBLEM:-no answer}); the kill switch is on until the next restart."
		fi
	else
		remove_watchdog
	fi
	NEXT_CHANGE=$(next_change_at "$now")
	write_state || warn "The state file $STATE_DIR/state.json could not be written; the status may be wrong."
	if [ -n "$NEXT_CHANGE" ]; then start_change_timer "$NEXT_CHANGE"; fi
	kill_states "$WORK/kills"
	report
}

# Removes the watchdog, our rules, our main-ruleset reference, our pf reference and our files.
turn_off() {
	WAS_ON=yes
	if anchor_is_empty && [ ! -f "$STATE_DIR/state.json" ]; then WAS_ON=no; fi
	# The lock keeps the watchdog out meanwhile; it is removed once the rules are, so a failed Disable
	# leaves the kill switch exactly as it was, watchdog included.
	flush_anchor || fail 66 "pf could not remove the kill switch rules, nothing else was changed: $(pf_message)"
	remove_watchdog
	detach || warn "A reference to the (now empty) kill switch anchor stays in the main ruleset; it changes nothing."
	release
	if state_dir_is_ours; then
		rm -rf "$STATE_DIR/rules" "$STATE_DIR/rules.new" "$STATE_DIR/rules.old"
		rm -f "$STATE_DIR/anchor.pf" "$STATE_DIR/anchor.pf.new" "$STATE_DIR/token" "$STATE_DIR/token.new" \
			"$STATE_DIR/state.json" "$STATE_DIR/state.json.new" "$STATE_DIR/kills" "$STATE_DIR/resolved.json" \
			"$STATE_DIR/resolved.json.new" "$STATE_DIR/watchdog.json" "$STATE_DIR/watchdog.json.new" \
			"$STATE_DIR/fail-closed.pf" "$STATE_DIR/fail-closed.pf.new"
		rmdir "$STATE_DIR" 2>/dev/null || true
	fi
}

do_off() {
	take_lock 30 || fail 71 "Another kill switch action is running; try again in a moment."
	turn_off
	report
}

# Disable, then whatever else of ours is left, listed in the report: no trace in pf, launchd or on disk.
do_uninstall() {
	take_lock 30 || fail 71 "Another kill switch action is running; try again in a moment."
	: >"$WORK/removed"
	for path in "$SYSROOT$KS_LAUNCH_DAEMON" "$STATE_DIR"; do
		if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\n' "${path#"$SYSROOT"}" >>"$WORK/removed"; fi
	done
	# A link in place of our directory is removed, never followed.
	if [ -L "$STATE_DIR" ]; then rm -f "$STATE_DIR"; fi
	turn_off
	if state_dir_is_ours; then rm -rf "$STATE_DIR"; fi
	if [ -e "$STATE_DIR" ]; then warn "$STATE_DIR could not be removed."; fi
	report
}

do_watch() {
	take_lock 0 || exit 0
	state_dir_is_ours || exit 0
	# Off means off: after Disable (which removes state.json) nothing is put back, whatever launchd still runs.
	[ -f "$STATE_DIR/state.json" ] || exit 0
	if ! recorded_on; then
		# Only this script writes state.json, always with "status":"on": anything else is a damaged record.
		fail_closed "the kill switch's record (state.json) is unreadable"
		exit 1
	fi
	refresh watchdog
}

# What the watchdog sees (network identity, VPN tunnels) and, while the kill switch is on, the rules it
# would load now. Reads only: no root needed, nothing changed.
do_inspect() {
	if recorded_on; then
		desired_rules "$WORK/desired.pf" "$NOW"
	else
		read_interfaces
		network_identity
		TUNNELS=$(vpn_tunnels "$INTERNET_IF" "")
	fi
	printf '@@ watchdog\nnetwork=%s\nrules=%s\ntunnels=%s\nup=%s\n' "$IDENTITY" "$TEMPLATE" "$TUNNELS" "$(vpn_tunnels "*" "")"
	if [ -f "$WORK/desired.pf" ]; then
		printf '@@ rules\n'
		cat "$WORK/desired.pf"
	fi
	printf '@@ end\n'
}

[ $# -ge 2 ] || fail 64 "usage: killswitch-root enable|apply|disable|uninstall|watch|inspect SYSTEM_ROOT [OPTIONS]"
ACTION=$1
SYSROOT=$2
shift 2
case $SYSROOT in
'') ;;
/*)
	case $SYSROOT in *..* | *[!A-Za-z0-9._/-]*) fail 64 "invalid system root: $SYSROOT" ;; esac
	;;
*) fail 64 "invalid system root: $SYSROOT" ;;
esac
case $ACTION in
enable | apply | disable | uninstall | watch | inspect) ;;
*) fail 64 "unknown action: $ACTION" ;;
esac
PFCTL="$SYSROOT/sbin/pfctl"
SYSCTL="$SYSROOT/usr/sbin/sysctl"
IFCONFIG="$SYSROOT/sbin/ifconfig"
ROUTE="$SYSROOT/sbin/route"
NETSTAT="$SYSROOT/usr/sbin/netstat"
ARP="$SYSROOT/usr/sbin/arp"
LAUNCHCTL="$SYSROOT/bin/launchctl"
SH="$SYSROOT/bin/sh"
# The clock and the waits come from the system's own programs, so a test's fake macOS can move time on.
DATE="$SYSROOT/bin/date"
SLEEP="$SYSROOT/bin/sleep"
STATE_DIR="$SYSROOT$KS_STATE_DIR"
LOCK_DIR="$SYSROOT/var/run/$KS_ID.lock"
LOCKED=no

WORK=$(mktemp -d "$SYSROOT/tmp/killswitch.XXXXXX") || fail 69 "cannot create a private work directory"
# One reading of the clock a run: what it records and the rules it picks all speak of the same second.
NOW=$("$DATE" +%s)
BOOT_TIME=""
trap 'release_lock; rm -rf "$WORK"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
: >"$WORK/warnings"

HAVE_RULES=no
HAVE_TEMPLATES=no
HAVE_FAIL_CLOSED=no
FAILED_CLOSED=no
NEXT_CHANGE=""
RULES=""
TUNNELS=""
KILLS=""
FIXED_TUNNEL=""
NETWORK_ID=""
PORTAL=""
TRUSTED_TUNNELS=""
STARTUP=no
STARTUP_SCRIPT=""
SERVERS=""
SERVER_ADDRESSES=""
templates=0
: >"$WORK/resolved"
while [ $# -gt 0 ]; do
	case $1 in
	--rules)
		[ $# -ge 2 ] || fail 64 "--rules needs a value"
		RULES=$2
		HAVE_RULES=yes
		shift 2
		;;
	--tunnel)
		if [ $# -lt 2 ] || ! is_tunnel_name "$2"; then fail 64 "--tunnel needs a tunnel interface name"; fi
		TUNNELS="$TUNNELS${TUNNELS:+ }$2"
		shift 2
		;;
	--kill)
		if [ $# -lt 3 ] || ! is_address "$2" || ! is_address "$3"; then fail 64 "--kill needs two addresses"; fi
		KILLS="$KILLS$2 $3
"
		shift 3
		;;
	--other-rules)
		if [ $# -lt 2 ] || ! ends_with_newline "$2"; then fail 64 "--other-rules needs rules ending with a newline"; fi
		[ -d "$WORK/templates" ] || mkdir "$WORK/templates" || fail 69 "cannot write to $WORK"
		printf '%s' "$2" >"$WORK/templates/other.pf"
		printf 'other other.pf\n' >>"$WORK/templates/index"
		HAVE_TEMPLATES=yes
		shift 2
		;;
	--network-rules)
		if [ $# -lt 3 ] || ! is_identity "$2"; then fail 64 "--network-rules needs a network identity (gw=...,mac=...,net=...)"; fi
		ends_with_newline "$3" || fail 64 "--network-rules needs rules ending with a newline"
		templates=$((templates + 1))
		[ -d "$WORK/templates" ] || mkdir "$WORK/templates" || fail 69 "cannot write to $WORK"
		printf '%s' "$3" >"$WORK/templates/network-$templates.pf"
		printf 'network network-%s.pf %s\n' "$templates" "$2" >>"$WORK/templates/index"
		shift 3
		;;
	--fail-closed-rules)
		if [ $# -lt 2 ] || ! ends_with_newline "$2"; then fail 64 "--fail-closed-rules needs rules ending with a newline"; fi
		printf '%s' "$2" >"$WORK/fail-closed.pf" || fail 69 "cannot write to $WORK"
		HAVE_FAIL_CLOSED=yes
		shift 2
		;;
	--fixed-tunnel)
		if [ $# -lt 2 ] || ! is_tunnel_name "$2"; then fail 64 "--fixed-tunnel needs a tunnel interface name"; fi
		FIXED_TUNNEL=$2
		shift 2
		;;
	--trusted-tunnel)
		if [ $# -lt 2 ] || ! is_tunnel_name "$2"; then fail 64 "--trusted-tunnel needs a tunnel interface name"; fi
		TRUSTED_TUNNELS="$TRUSTED_TUNNELS${TRUSTED_TUNNELS:+ }$2"
		shift 2
		;;
	--network)
		if [ $# -lt 2 ] || ! is_identity "$2"; then fail 64 "--network needs a network identity (gw=...,mac=...,net=...)"; fi
		NETWORK_ID=$2
		shift 2
		;;
	--portal-until)
		if [ $# -lt 2 ] || ! is_seconds "$2"; then fail 64 "--portal-until needs seconds since 1970"; fi
		PORTAL=$2
		shift 2
		;;
	--resolved)
		if [ $# -lt 3 ] || ! is_host_name "$2"; then fail 64 "--resolved needs a host name and its addresses"; fi
		for address in $(printf '%s' "$3" | tr ',' ' '); do
			is_address "$address" || fail 64 "--resolved needs a host name and its addresses"
		done
		printf '%s %s\n' "$2" "$3" >>"$WORK/resolved"
		shift 3
		;;
	--server-address)
		if [ $# -lt 2 ] || ! is_address "$2"; then fail 64 "--server-address needs an address"; fi
		SERVER_ADDRESSES="$SERVER_ADDRESSES${SERVER_ADDRESSES:+ }$2"
		shift 2
		;;
	--server)
		if [ $# -lt 2 ] || ! is_server "$2"; then fail 64 "--server needs a VPN server address"; fi
		SERVERS="$SERVERS${SERVERS:+ }$2"
		shift 2
		;;
	--startup)
		if [ $# -lt 2 ] || [ -z "$2" ]; then fail 64 "--startup needs the watchdog script"; fi
		STARTUP=yes
		STARTUP_SCRIPT=$2
		shift 2
		;;
	*) fail 64 "unknown argument: $1" ;;
	esac
done
if [ "$templates" -gt 0 ] && [ "$HAVE_TEMPLATES" = no ]; then fail 64 "--network-rules needs --other-rules too"; fi
if [ "$HAVE_TEMPLATES" = yes ]; then
	if [ -n "$FIXED_TUNNEL" ]; then
		printf 'tunnels fixed %s\n' "$FIXED_TUNNEL" >>"$WORK/templates/index"
	else
		printf 'tunnels auto %s\n' "$TRUSTED_TUNNELS" >>"$WORK/templates/index"
	fi
fi

ATTACHMENT=none
ATTACH_CHANGED=no
ATTACH_PROBLEM=""
REFERENCE=none
TOKEN=""
KILLED=0
WAS_ON=yes
WATCHDOG=none
LAUNCHCTL_PROBLEM=""
IDENTITY=""
INTERNET_IF=""
TEMPLATE=""

case $ACTION in
enable | apply) do_on ;;
disable) do_off ;;
uninstall) do_uninstall ;;
watch) do_watch ;;
inspect) do_inspect ;;
esac

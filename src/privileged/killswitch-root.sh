#!/bin/sh
# VPN Kill Switch: everything the product does as root, in one POSIX sh script.
#
# Each user action runs it exactly once, behind one administrator prompt:
#   /bin/sh -c "<this script>" killswitch-root ACTION SYSTEM_ROOT [OPTIONS...]
#
#   ACTION        enable | apply | disable
#   SYSTEM_ROOT   "" on a Mac. Tests name a fake macOS tree here, so this very script runs the fake
#                 pfctl and writes under the fake /Library. It only chooses which programs and files are
#                 used, which whoever can start this script as root could do anyway.
#   --rules TEXT    the anchor's pf rules (enable, apply); must end with a newline
#   --tunnel NAME   a tunnel the rules let through, recorded for the status (repeatable)
#   --kill SRC DST  kill pf states from SRC to DST, addresses or CIDR networks (repeatable)
#
# Exit status: 0 done; 64 bad arguments; 65 pf rejected the rules; 66 pf could not load or flush our
# anchor; 67 our anchor could not be put ahead of the other rules; 68 no pf reference could be taken;
# 69 the state directory is not safe to use; 70 apply while the kill switch is off.
# Standard output: a report read back from pf after the change, in sections that start with "@@ ".
#
# Every value arrives as an argument and is only ever expanded inside double quotes: nothing given to
# this script is evaluated as shell text. The functions (attach, load, take_reference, release,
# kill_states, write_state) are the pieces a boot-time watchdog reuses.

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

fail() { # fail STATUS MESSAGE
	printf '%s\n' "$2" >&2
	exit "$1"
}

warn() {
	printf '%s\n' "$*" >>"$WORK/warnings"
}

# Runs pfctl; what it says on stderr, minus the two ALTQ notices every call prints, is left in
# $WORK/pf.msg for the caller's message.
pf() {
	"$PFCTL" "$@" 2>"$WORK/pf.err"
	pf_status=$?
	grep -v -e '^No ALTQ support in kernel$' -e '^ALTQ related functions disabled$' "$WORK/pf.err" >"$WORK/pf.msg"
	return "$pf_status"
}

pf_message() {
	tr '\n' ' ' <"$WORK/pf.msg" | sed 's/ *$//'
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

# The directory is created by root and must stay root's: anything else could swap the files pf loads.
ensure_state_dir() {
	if [ -L "$STATE_DIR" ]; then fail 69 "$STATE_DIR is a symbolic link; not using it"; fi
	if [ ! -d "$STATE_DIR" ]; then
		mkdir -p "$STATE_DIR" || fail 69 "cannot create $STATE_DIR"
	fi
	[ -O "$STATE_DIR" ] || fail 69 "$STATE_DIR belongs to another user; not using it"
	chmod 0755 "$STATE_DIR" || fail 69 "cannot set the permissions of $STATE_DIR"
}

recorded_on() {
	[ -f "$STATE_DIR/state.json" ] && grep -q '"status":"on"' "$STATE_DIR/state.json"
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
	grep -q 'Invalid argument' "$WORK/pf.msg"
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
	if ! pf -sr >"$WORK/main"; then
		ATTACH_PROBLEM="pf could not list the main ruleset: $(pf_message)"
		return 1
	fi
	first=$(grep -v '^scrub' "$WORK/main" | sed -n 1p)
	case $first in
	'anchor "com.apple/*"'*)
		ATTACHMENT=com.apple
		return 0
		;;
	"anchor \"$KS_ANCHOR\""*)
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
		warn "The main ruleset did not start with Apple's anchor point (another app replaced it); a reference to the kill switch anchor was added at its top."
		return 0
	fi
	ATTACH_PROBLEM="pf refused the main ruleset with the kill switch reference added: $(pf_message)"
	return 1
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
recorded_token() {
	t=""
	if [ -f "$STATE_DIR/token" ]; then t=$(sed -n '1s/^\([0-9][0-9]*\)$/\1/p' "$STATE_DIR/token"); fi
	if [ -z "$t" ] && [ -f "$STATE_DIR/state.json" ]; then
		t=$(sed -n 's/.*"reference":"\([0-9][0-9]*\)".*/\1/p' "$STATE_DIR/state.json" | sed -n 1p)
	fi
	printf '%s' "$t"
}

reference_listed() { # TOKEN
	pf -s References >"$WORK/references" || return 1
	awk -v token="$1" 'NR > 1 { for (i = 1; i <= NF; i++) if ($i == token) found = 1 } END { exit !found }' "$WORK/references"
}

take_reference() {
	if ! "$PFCTL" -E >"$WORK/enable.out" 2>&1; then
		grep -v -e '^No ALTQ' -e '^ALTQ related' "$WORK/enable.out" >"$WORK/pf.msg"
		return 1
	fi
	TOKEN=$(sed -n 's/^Token : \([0-9][0-9]*\)$/\1/p' "$WORK/enable.out" | sed -n 1p)
	if [ -z "$TOKEN" ]; then
		echo "pfctl -E printed no token" >"$WORK/pf.msg"
		return 1
	fi
	# Written at once, before anything else can fail, so Disable can always give it back.
	(umask 077 && printf '%s\n' "$TOKEN" >"$STATE_DIR/token.new") && mv -f "$STATE_DIR/token.new" "$STATE_DIR/token"
}

hold_reference() {
	TOKEN=$(recorded_token)
	if [ -n "$TOKEN" ] && reference_listed "$TOKEN"; then
		REFERENCE=kept
		return 0
	fi
	take_reference || return 1
	REFERENCE=taken
}

release() {
	TOKEN=$(recorded_token)
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

kill_states() {
	KILLED=0
	printf '%s' "$KILLS" >"$WORK/kills"
	[ -s "$WORK/kills" ] || return 0
	if pf -s states >"$WORK/states"; then
		select_kills "$WORK/states" "$WORK/kills" >"$WORK/kills.now" || cp "$WORK/kills" "$WORK/kills.now"
	else
		cp "$WORK/kills" "$WORK/kills.now"
	fi
	while read -r src dst; do
		[ -n "$src" ] || continue
		if pf -k "$src" -k "$dst"; then
			n=$(sed -n 's/^killed \([0-9][0-9]*\) states.*/\1/p' "$WORK/pf.msg" | sed -n 1p)
			KILLED=$((KILLED + ${n:-0}))
		else
			warn "pf could not clear the connections from $src to $dst: $(pf_message)"
		fi
	done <"$WORK/kills.now"
}

boot_time() {
	# { sec = 1700000000, usec = 123456 } Tue Nov 14 22:13:20 2023
	"$SYSCTL" -n kern.boottime 2>/dev/null | sed -n 's/^.*{ *sec = \([0-9][0-9]*\),.*$/\1/p' | sed -n 1p
}

# state.json: what the last action left in force, for the status (read without root). Root's only.
write_state() {
	boot=$(boot_time)
	tunnels=""
	for t in $TUNNELS; do tunnels="$tunnels${tunnels:+,}\"$t\""; done
	reference=null
	if [ -n "$TOKEN" ]; then reference="\"$TOKEN\""; fi
	printf '{"version":1,"status":"on","anchor":"%s","attachment":"%s","bootTime":%s,"changedAt":%s,"tunnels":[%s],"reference":%s}\n' \
		"$KS_ANCHOR" "$ATTACHMENT" "${boot:-null}" "$(date +%s)" "$tunnels" "$reference" >"$STATE_DIR/state.json.new" &&
		mv -f "$STATE_DIR/state.json.new" "$STATE_DIR/state.json"
}

report() {
	printf '@@ result\naction=%s\nattachment=%s\nreference=%s\nkilled=%s\n' "$ACTION" "$ATTACHMENT" "$REFERENCE" "$KILLED"
	printf '@@ warnings\n'
	cat "$WORK/warnings"
	printf '@@ anchor\n'
	pf -a "$KS_ANCHOR" -sr || true
	printf '@@ info\n'
	pf -s info || true
	printf '@@ references\n'
	pf -s References || true
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
	case $RULES in
	*'
') ;;
	*) fail 64 "the rules must end with a newline" ;;
	esac
	if [ "$ACTION" = apply ] && ! recorded_on; then fail 70 "The kill switch is off: there is nothing to apply."; fi
	ensure_state_dir
	printf '%s' "$RULES" >"$WORK/anchor.pf" || fail 69 "cannot write the rules to $WORK"
	pf -n -a "$KS_ANCHOR" -f "$WORK/anchor.pf" || fail 65 "$(cat "$WORK/pf.msg")"
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
	cp "$WORK/anchor.pf" "$STATE_DIR/anchor.pf.new" && mv -f "$STATE_DIR/anchor.pf.new" "$STATE_DIR/anchor.pf" ||
		warn "The rules in force could not be saved to $STATE_DIR/anchor.pf."
	write_state || warn "The state file $STATE_DIR/state.json could not be written; the status may be wrong."
	kill_states
	report
}

do_off() {
	WAS_ON=yes
	if anchor_is_empty && [ ! -f "$STATE_DIR/state.json" ]; then WAS_ON=no; fi
	flush_anchor || fail 66 "pf could not remove the kill switch rules, nothing else was changed: $(pf_message)"
	detach || warn "A reference to the (now empty) kill switch anchor stays in the main ruleset; it changes nothing."
	release
	if [ -d "$STATE_DIR" ] && [ ! -L "$STATE_DIR" ]; then
		rm -f "$STATE_DIR/anchor.pf" "$STATE_DIR/anchor.pf.new" "$STATE_DIR/token" "$STATE_DIR/token.new" \
			"$STATE_DIR/state.json" "$STATE_DIR/state.json.new"
		rmdir "$STATE_DIR" 2>/dev/null || true
	fi
	report
}

[ $# -ge 2 ] || fail 64 "usage: killswitch-root enable|apply|disable SYSTEM_ROOT [OPTIONS]"
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
PFCTL="$SYSROOT/sbin/pfctl"
SYSCTL="$SYSROOT/usr/sbin/sysctl"
STATE_DIR="$SYSROOT$KS_STATE_DIR"

HAVE_RULES=no
RULES=""
TUNNELS=""
KILLS=""
while [ $# -gt 0 ]; do
	case $1 in
	--rules)
		[ $# -ge 2 ] || fail 64 "--rules needs a value"
		RULES=$2
		HAVE_RULES=yes
		shift 2
		;;
	--tunnel)
		[ $# -ge 2 ] && is_tunnel_name "$2" || fail 64 "--tunnel needs a tunnel interface name"
		TUNNELS="$TUNNELS $2"
		shift 2
		;;
	--kill)
		[ $# -ge 3 ] && is_address "$2" && is_address "$3" || fail 64 "--kill needs two addresses"
		KILLS="$KILLS$2 $3
"
		shift 3
		;;
	*) fail 64 "unknown argument: $1" ;;
	esac
done

WORK=$(mktemp -d /tmp/killswitch.XXXXXX) || fail 69 "cannot create a private work directory"
trap 'rm -rf "$WORK"' EXIT
: >"$WORK/warnings"
ATTACHMENT=none
ATTACH_PROBLEM=""
REFERENCE=none
TOKEN=""
KILLED=0
WAS_ON=yes

case $ACTION in
enable | apply) do_on ;;
disable) do_off ;;
*) fail 64 "unknown action: $ACTION" ;;
esac

# --- Blocking rules first: what the watchdog does before anything else. At boot pf is stopped and empty, and the
# check that follows needs a work folder, the clock, the network and the record of what pf blocks, any of which
# may fail (a full disk, /tmp replaced, a program missing). So the watchdog first has pf hold blocking rules with
# pfctl and the shell's own commands alone: no work folder, no temporary file (nor a here-document, which bash
# 3.2, macOS's sh, writes to /tmp), no other program. The check then puts the network's rules in their place.

NL='
'

# What hold_blocking_rules found and did, for the check's record: BOOT_RULES is none (the kill switch is off, or
# another action holds the lock), kept (our rules were in force), loaded (BOOT_LOADED in force) or failed (pf
# refused them: BOOT_PROBLEM says what it said); BOOT_ATTACHED is no, yes (a reference to our anchor put at the
# top of the main ruleset) or aside (the other main filter rules set aside for it: BOOT_PROBLEM says why), and
# BOOT_ATTACHMENT how our anchor is reached then; BOOT_REFERENCE is none or taken (BOOT_TOKEN its token).
BOOT_RULES=none
BOOT_LOADED=""
BOOT_ATTACHED=no
BOOT_ATTACHMENT=none
BOOT_REFERENCE=none
BOOT_TOKEN=""
BOOT_PROBLEM=""
BOOT_LISTING=""

# Unless our rules are in force already: loads the fail-closed rules Enable recorded as they are (the VPN servers,
# nothing that needs the network read: no link plumbing, which passes on the links found, never on any interface),
# else the built-in ones (loopback only), puts our anchor first and takes a pf reference.
hold_blocking_rules() {
	# Another action holds the lock (Enable, Disable, a check): pf is theirs to change now, and the check leaves it be.
	[ ! -d "$LOCK_DIR" ] || return 0
	state_dir_is_ours || return 0
	[ -f "$STATE_DIR/$KS_FILE_STATE" ] || return 0
	BOOT_RULES=kept
	# As anchor_in_force reads it: pf lists our anchor's last rule. Kept, with its counters, for the steady check.
	BOOT_LISTING=$("$PFCTL" -a "$KS_ANCHOR" -v -sr 2>/dev/null) || BOOT_LISTING=""
	case "$NL$BOOT_LISTING$NL" in
	*"${NL}block drop in log (user) quick all$NL"* | *"${NL}block drop in log (user, to pflog"[0-9]") quick all$NL"* | \
		*"${NL}block drop in log (user, to pflog"[0-9][0-9]") quick all$NL"*) return 0 ;;
	esac
	load_blocking_rules
}

# Loads the fail-closed rules Enable recorded, else the built-in ones, puts our anchor first and takes a pf reference.
load_blocking_rules() {
	BOOT_LISTING=""
	recorded="$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES"
	BOOT_LOADED="the fail-closed rules (VPN servers only)"
	if ! { [ -f "$recorded" ] && holds_final_blocks "$recorded" && BOOT_PROBLEM=$(boot_pfctl -a "$KS_ANCHOR" -f "$recorded"); }; then
		BOOT_LOADED="the built-in fail-closed rules (loopback only)"
		if ! BOOT_PROBLEM=$(builtin_fail_closed_rules | boot_pfctl -a "$KS_ANCHOR" -f -); then
			BOOT_RULES=failed
			return 0
		fi
	fi
	BOOT_RULES=loaded
	boot_attach || :
	boot_reference || :
}

# Runs pfctl with ARGS; when it fails, prints what it said, without the two ALTQ notices every call prints.
boot_pfctl() { # ARGS...
	said=$("$PFCTL" "$@" 2>&1) && return 0
	printf '%s\n' "$said" | while IFS= read -r line; do
		case $line in 'No ALTQ support in kernel' | 'ALTQ related functions disabled') ;; *) printf '%s ' "$line" ;; esac
	done
	return 1
}

# Whether FILE holds the kill switch's two final blocks (rules_complete), read with the shell's builtins.
holds_final_blocks() { # FILE
	outward=no
	inward=no
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'block return out log (user) quick all') outward=yes ;;
		'block drop in log (user) quick all') inward=yes ;;
		esac
	done <"$1"
	[ "$outward" = yes ] && [ "$inward" = yes ]
}

# Puts our anchor first in the main ruleset as attach does: Apple's anchor point or ours first is enough (a
# child of com.apple that sorts before ours is the check's to find); else a reference to ours at the top of the
# main filter rules, every other rule kept as pf prints it, scrub then dummynet rules first; failing that (inline
# anchors, or pf refused them), the other main filter rules set aside, as attach_alone does.
boot_attach() {
	main=$("$PFCTL" -sr 2>/dev/null) || return 1
	scrub=""
	others=""
	first=""
	# One line at a time, unglobbed (rules hold `*`).
	set -f
	saved_ifs=$IFS
	IFS=$NL
	for line in $main; do
		case $line in
		scrub*) scrub="$scrub$line$NL" ;;
		*)
			[ -n "$first" ] || first=$line
			others="$others$line$NL"
			;;
		esac
	done
	IFS=$saved_ifs
	set +f
	BOOT_ATTACHMENT=main
	case $first in
	'anchor "com.apple/*" all') BOOT_ATTACHMENT=com.apple ;;
	"anchor \"$KS_ANCHOR\" all") ;;
	*) boot_attach_first "$main" "$scrub" "$others" ;;
	esac
}

# Reloads the main filter rules (MAIN as pf printed them: SCRUB and OTHERS) with our reference at their top.
boot_attach_first() { # MAIN SCRUB OTHERS
	dummynet=""
	set -f
	saved_ifs=$IFS
	IFS=$NL
	for line in $("$PFCTL" -s dummynet 2>/dev/null); do
		case $line in dummynet*) dummynet="$dummynet$line$NL" ;; esac
	done
	IFS=$saved_ifs
	set +f
	ours="anchor \"$KS_ANCHOR\" all$NL"
	case $1 in
	*[{}]*) BOOT_PROBLEM="the main ruleset holds inline anchors, which cannot be reloaded as pf prints them" ;;
	*)
		if BOOT_PROBLEM=$(printf '%s' "$2$dummynet$ours$3" | boot_pfctl -R -f -); then
			BOOT_ATTACHED=yes
			return 0
		fi
		BOOT_PROBLEM="pf refused the main ruleset with the kill switch reference added: $BOOT_PROBLEM"
		;;
	esac
	if ! printf '%s' "$2$ours" | boot_pfctl -R -f - >/dev/null; then
		BOOT_ATTACHMENT=none
		return 1
	fi
	BOOT_ATTACHED=aside
}

# Takes a pf reference unless the recorded one is still listed, and records its token as take_reference does.
boot_reference() {
	TOKEN=$(recorded_token)
	word=""
	if [ -n "$TOKEN" ]; then
		set -f
		for word in $("$PFCTL" -s References 2>/dev/null); do [ "$word" != "$TOKEN" ] || break; done
		set +f
		[ "$word" != "$TOKEN" ] || return 0
	fi
	said=$("$PFCTL" -E 2>&1) || return 1
	TOKEN=${said##*"Token : "}
	TOKEN=${TOKEN%%[!0-9]*}
	[ -n "$TOKEN" ] || return 1
	BOOT_REFERENCE=taken
	BOOT_TOKEN=$TOKEN
	# pf holds the blocking rules from here on: other programs may run.
	(umask 077 && printf '%s\n' "$TOKEN" >"$STATE_DIR/$KS_FILE_TOKEN.new") && mv -f "$STATE_DIR/$KS_FILE_TOKEN.new" "$STATE_DIR/$KS_FILE_TOKEN"
}

# No work folder (a full disk): the check cannot read the network, but pfctl alone keeps our rules in force with pf
# on and our anchor first, unless a window's time is up (68-windows.sh) or a tunnel they let through is gone (the
# network changed): then blocking rules take their place, and what pf tracks is cut (they pass no tunnel) but
# loopback's, link-local IPv6's and the VPN servers'. due: the change timer knows a window's time is up.
hold_without_work() { # [due]
	case $BOOT_RULES in
	kept)
		tunnels_up=yes
		for tunnel in $(state_values list:tunnels); do "$IFCONFIG" "$tunnel" >/dev/null 2>&1 || tunnels_up=no; done
		if [ "${1:-}" != due ] && [ "$tunnels_up" = yes ] && ! window_due_without_work; then
			boot_attach || :
			boot_reference || :
			return 0
		fi
		load_blocking_rules
		;;
	loaded) ;;
	*) return 0 ;;
	esac
	[ "$BOOT_RULES" = loaded ] || return 0
	servers=" $(state_values list:serverAddresses) "
	set -f
	for state in $("$PFCTL" -s states 2>/dev/null | while read -r _ _ mine way theirs way2 beyond _; do
		# "IF PROTO LOCAL ARROW REMOTE [ARROW REMOTE] STATE"; IPv4 as a:port, IPv6 as a[port].
		case $way2 in '->' | '<-') theirs=$beyond ;; esac
		mine=${mine%%\[*} theirs=${theirs%%\[*}
		case $mine in *.*:*) mine=${mine%:*} ;; esac
		case $theirs in *.*:*) theirs=${theirs%:*} ;; esac
		case $mine/$theirs in 127.* | ::1/* | fe[89ab]?:* | */127.* | */::1) continue ;; esac
		case $servers in *" $mine "* | *" $theirs "*) continue ;; esac
		# xnu matches -k SRC -k DST against the Mac side of an outbound state, the far side of an inbound one.
		case $way in '->') printf '%s,%s\n' "$mine" "$theirs" ;; '<-') printf '%s,%s\n' "$theirs" "$mine" ;; esac
	done | sort -u); do
		"$PFCTL" -k "${state%,*}" -k "${state#*,}" >/dev/null 2>&1 || :
	done
	set +f
}

# No work folder (a full disk, /tmp replaced): the check cannot go on. Says so in watchdog.json, with what
# hold_blocking_rules left in force, when the kill switch is on; the caller then ends the run.
report_without_work() {
	[ "$BOOT_RULES" != none ] || return 0
	WORK=""
	BOOT_TIME=""
	NOW=$("$DATE" +%s)
	FAILED_CLOSED=no
	ATTACHMENT=$BOOT_ATTACHMENT
	TEMPLATE=""
	TUNNELS=""
	NOT_LOCAL=""
	SKIPPED=""
	TRANSLATION_COUNT=0
	SERVER_ADDRESSES=$(state_values list:serverAddresses)
	said="the watchdog cannot make a private work folder in $SYSROOT/tmp (a full disk, or /tmp replaced), so it cannot read the network"
	case $BOOT_RULES in
	loaded)
		FAILED_CLOSED=yes
		said="$said; blocking with $BOOT_LOADED until it can"
		;;
	kept)
		said="$said; the kill switch rules in force stay as they are"
		if [ "$BOOT_REFERENCE" = taken ]; then said="$said, with pf enabled again"; fi
		;;
	failed) said="$said; pf refused the blocking rules too: $BOOT_PROBLEM" ;;
	esac
	write_watchdog_status failed "$said" no
}

# Disable ran while the blocking rules went in (hold_blocking_rules does not wait for the lock): takes out what
# they added, as Disable does, so that nothing of the kill switch is left.
withdraw_boot_rules() {
	flush_anchor || :
	detach || :
	if [ "$BOOT_REFERENCE" = taken ]; then pf -X "$BOOT_TOKEN" || :; fi
	if state_dir_is_ours && [ ! -f "$STATE_DIR/$KS_FILE_STATE" ]; then
		rm -f "$STATE_DIR/$KS_FILE_TOKEN" "$STATE_DIR/$KS_FILE_TOKEN.new"
		rmdir "$STATE_DIR" 2>/dev/null || :
	fi
}

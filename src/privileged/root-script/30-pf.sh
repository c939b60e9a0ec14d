# --- pf: loading our anchor, putting it first (Apple's anchor point or a reference of our own at the top of
# the main ruleset), and the pf reference that keeps pf enabled

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

# Replaces our anchor's rules and tables in one transaction: pf runs the old rules or the new ones,
# never a mix and never none.
load() { # FILE
	rules_logging_to_capture "$1" "$WORK/load.pf" || return 1
	# What hold_blocking_rules read of our anchor is no longer what pf runs.
	BOOT_LISTING=""
	pf -a "$KS_ANCHOR" -f "$WORK/load.pf" || return 1
	remember_loaded_rules
}

# What pf prints of our anchor just after a load, as a checksum: a later check that reads something else
# finds rules another program replaced, even ones that end as ours do. No reading: no record, not a failure.
remember_loaded_rules() {
	# When, too: pf counts each rule's packets from its load, so the counters are "since" then.
	printf '%s\n' "$NOW" >"$STATE_DIR/$KS_FILE_LOADED_AT.new" && mv -f "$STATE_DIR/$KS_FILE_LOADED_AT.new" "$STATE_DIR/$KS_FILE_LOADED_AT"
	if pf -a "$KS_ANCHOR" -sr >"$WORK/loaded" && cksum <"$WORK/loaded" >"$STATE_DIR/$KS_FILE_LOADED_RULES_SUM.new"; then
		mv -f "$STATE_DIR/$KS_FILE_LOADED_RULES_SUM.new" "$STATE_DIR/$KS_FILE_LOADED_RULES_SUM"
	else
		rm -f "$STATE_DIR/$KS_FILE_LOADED_RULES_SUM" "$STATE_DIR/$KS_FILE_LOADED_RULES_SUM.new"
	fi
	return 0
}

# pf's packet counters of our rules as counters_of prints them; null when pf does not say, or without a work folder.
rule_counters() {
	[ -n "$WORK" ] || { echo null; return 0; }
	# Unless this run loaded rules since, what hold_blocking_rules read moments ago holds the counters.
	listing=${BOOT_LISTING:-}
	if [ -z "$listing" ]; then listing=$(pf -a "$KS_ANCHOR" -v -sr) || { echo null; return 0; }; fi
	counters_of "$listing"
}

# Interfaces pf skips (`set skip on` in the main ruleset; options in an anchor are ignored): pf filters
# nothing there, our rules included. lo0 is harmless, and so is a tunnel the rules let through; any other is a
# way out. Prints them joined by ", ", nothing when none (or when pf does not say).
skipped_interfaces() { # TUNNELS
	# Read once a run (state.json and watchdog.json both say it); this script never sets skip flags.
	[ -s "$WORK/interfaces" ] || pf -s Interfaces -v >"$WORK/interfaces" || return 0
	awk -v tunnels="$1" '
		BEGIN { n = split(tunnels, t, " "); for (i = 1; i <= n; i++) fine[t[i]] = 1; fine["lo0"] = 1 }
		$2 == "(skip)" && !($1 in fine) { printf "%s%s", sep, $1; sep = ", " }
	' "$WORK/interfaces"
}

# SKIPPED: skipped_interfaces for TUNNELS, worked out once a run for the same tunnels (a change timer forgets it).
read_skipped() { # TUNNELS
	[ "${SKIPPED_FOR:-}" != "x$1" ] || return 0
	SKIPPED=$(skipped_interfaces "$1")
	SKIPPED_FOR=x$1
}

# After anchor_in_force (which leaves pf's listing in $WORK/ours): whether it is what was loaded last.
anchor_as_loaded() {
	[ -f "$STATE_DIR/$KS_FILE_LOADED_RULES_SUM" ] || return 0
	loaded=""
	IFS= read -r loaded <"$STATE_DIR/$KS_FILE_LOADED_RULES_SUM" || :
	[ "$(cksum <"$WORK/ours")" = "$loaded" ]
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
	if [ -n "${BOOT_LISTING:-}" ]; then
		# The rules of what hold_blocking_rules read moments ago, without their counters' lines.
		listing_rules "$BOOT_LISTING" >"$WORK/ours"
	else
		pf -a "$KS_ANCHOR" -sr >"$WORK/ours"
	fi && grep -qx 'block drop in log (user\(, to pflog[0-9]*\)\{0,1\}) quick all' "$WORK/ours"
}

# The rules of LISTING (pfctl -v -sr), each followed by its counters' lines, which pf indents.
listing_rules() { # LISTING
	set -f
	saved_ifs=$IFS
	IFS=$NL
	for line in $1; do case $line in [[:space:]]*) ;; *) printf '%s\n' "$line" ;; esac; done
	IFS=$saved_ifs
	set +f
}

# Rules the watchdog may load: they end with our two final blocks, so a lost or truncated file can never
# replace the kill switch with nothing.
rules_complete() { # FILE
	holds_final_blocks "$1"
}

flush_anchor() {
	# Scoped by -a to our own anchor: its rules and tables go, every other rule and anchor stays.
	BOOT_LISTING=""
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

# The watchdog's last resort when attach cannot keep the other rules (inline anchors, or pf refused them
# with our reference added): the main filter rules become our anchor alone, scrub rules kept. The other
# program's filter rules are set aside until it loads them again: blocking is the promise, never open.
attach_alone() {
	printf 'anchor "%s" all\n' "$KS_ANCHOR" >"$WORK/ours.line"
	{
		grep '^scrub' "$WORK/main" 2>/dev/null
		cat "$WORK/ours.line"
	} >"$WORK/alone.pf"
	pf -R -f "$WORK/alone.pf" || return 1
	ATTACHMENT=main
	ATTACH_CHANGED=yes
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
# Prints the recorded token: the token file's, else state.json's; digits only, nothing when none.
recorded_token() {
	token=""
	if [ -f "$STATE_DIR/$KS_FILE_TOKEN" ]; then IFS= read -r token <"$STATE_DIR/$KS_FILE_TOKEN" || :; fi
	if [ -z "$token" ]; then token=$(state_values string:reference); fi
	case $token in '' | *[!0-9]*) ;; *) printf '%s\n' "$token" ;; esac
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
	# The first line "Token : DIGITS".
	TOKEN=""
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in "Token : " | "Token : "*[!0-9]*) ;; "Token : "*) TOKEN=${line#"Token : "} && break ;; esac
	done <"$WORK/enable.out"
	if [ -z "$TOKEN" ]; then
		echo "pfctl -E printed no token" >"$WORK/pf.err"
		return 1
	fi
	# Written at once, before anything else can fail, so Disable can always give it back.
	(umask 077 && printf '%s\n' "$TOKEN" >"$STATE_DIR/$KS_FILE_TOKEN.new") && mv -f "$STATE_DIR/$KS_FILE_TOKEN.new" "$STATE_DIR/$KS_FILE_TOKEN"
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

# Read without a work folder: the watchdog also says what is in force when it cannot make one.
pf_enabled() {
	case $("$PFCTL" -s info 2>/dev/null) in "Status: Enabled"*) return 0 ;; esac
	return 1
}

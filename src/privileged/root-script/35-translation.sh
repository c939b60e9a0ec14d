# --- Translation rules: another program's nat, rdr or binat rule with `pass` sends its packets on without
# looking at any filter rule, ours included (xnu pf.c); these find such rules and set them aside

# Looks at the main ruleset's translation rules and those of every anchor they call (`nat-anchor "x"`,
# `rdr-anchor "x/*"`, and the anchors those call): the translation rules pf evaluates. A rule with pass is
# set aside: its ruleset's translation rules are reloaded (pfctl -N: translation rules only, in one
# transaction) with that `pass` taken out, so the translation still happens and the filter rules, ours
# first, decide its packets. A nat without pass (Internet Sharing's) is left as it is, and so is one on lo0
# (sshuttle's rdr pass): its packets stay on this Mac, and our rules pass lo0 anyway.
# Sets TRANSLATION_COUNT, TRANSLATION_FOUND (each rule and where it was, joined by "; "),
# TRANSLATION_PROBLEM (what pf said when one could not be set aside) and TRANSLATION_LEFT (how many still pass).
set_translation_passes_aside() {
	TRANSLATION_COUNT=0
	TRANSLATION_LEFT=0
	TRANSLATION_FOUND=""
	TRANSLATION_PROBLEM=""
	: >"$WORK/nat.calls"
	pf -s nat >"$WORK/nat" || return 0
	check_translation_rules ""
	# Only when the main ruleset calls an anchor: each pfctl run costs time, on every check.
	[ -s "$WORK/nat.calls" ] || return 0
	pf -s Anchors -v >"$WORK/anchors.all" || return 0
	# pf lists parents before children, so an anchor's calls are known before the anchors they call.
	sed 's/^ *//' "$WORK/anchors.all" >"$WORK/anchors.paths"
	while IFS= read -r ruleset; do
		case $ruleset in '' | "$KS_ANCHOR") continue ;; esac
		parent=${ruleset%/*}
		[ "$parent" != "$ruleset" ] || parent=""
		grep -Fxq -e "$ruleset" -e "${parent:+$parent/}*" "$WORK/nat.calls" || continue
		pf -a "$ruleset" -s nat >"$WORK/nat" || continue
		check_translation_rules "$ruleset"
	done <"$WORK/anchors.paths"
}

# The listing in $WORK/nat of RULESET ("" for the main ruleset): notes the anchors it calls, and sets its
# rules with pass aside.
check_translation_rules() { # RULESET
	awk -v base="$1" '
		$1 == "nat-anchor" || $1 == "rdr-anchor" || $1 == "binat-anchor" {
			name = $2; gsub(/"/, "", name)
			if (name ~ /^\//) print substr(name, 2); else print (base == "" ? "" : base "/") name
		}
	' "$WORK/nat" >>"$WORK/nat.calls"
	translation_passes list "$WORK/nat" >"$WORK/nat.pass"
	[ -s "$WORK/nat.pass" ] || return 0
	where="the main ruleset"
	if [ -n "$1" ]; then where="anchor $1"; fi
	found=0
	while IFS= read -r rule; do
		found=$((found + 1))
		TRANSLATION_COUNT=$((TRANSLATION_COUNT + 1))
		TRANSLATION_FOUND="$TRANSLATION_FOUND${TRANSLATION_FOUND:+; }$rule (in $where)"
	done <"$WORK/nat.pass"
	translation_passes strip "$WORK/nat" >"$WORK/nat.pf"
	if [ -n "$1" ]; then set -- -a "$1"; else set --; fi
	pf "$@" -N -f "$WORK/nat.pf" && return 0
	TRANSLATION_PROBLEM="$TRANSLATION_PROBLEM${TRANSLATION_PROBLEM:+; }$where: $(pf_message)"
	TRANSLATION_LEFT=$((TRANSLATION_LEFT + found))
}

# From a `pfctl -s nat` listing: `list` prints the rules with pass that are not on lo0, `strip` the whole
# listing with their pass taken out.
translation_passes() { # list|strip FILE
	awk -v mode="$1" '
		{ found = ($1 == "nat" || $1 == "rdr" || $1 == "binat") && $2 == "pass" && $0 !~ / on lo0 / }
		mode == "strip" { if (found) sub(/ pass /, " "); print; next }
		found
	' "$2"
}

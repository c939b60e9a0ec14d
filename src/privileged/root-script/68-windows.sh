# --- Windows timed by elapsed time (a captive portal window, an exception that ends), and the change timer
# A window ends at a wall-clock time U (`until=U`, `network-link-until=U`, --portal-until U). The first time a boot
# sees U, $WINDOWS_FILE records the uptime it ends at: U minus the boot time then. Uptime (the clock minus
# kern.boottime, which macOS moves with the clock) is elapsed time: a step of the clock does not move it, a sleeping
# Mac counts on. A window is open while the clock is before U and the uptime before its end, so it never lasts longer
# than it was given. /var/run is emptied at boot: after a restart it counts from the wall clock at the first check.

# Records the ends of the windows in the templates and PORTAL, and prints "NEXT OPEN": the next end, as seconds of
# the clock now (- for none), and whether PORTAL is open. MODE on (Enable, Apply: rules the front-end built by the
# clock) makes a window whose time is up but the clock's is not due at once.
window_clock() { # NOW PORTAL MODE
	read_boot_time
	clock_now=$1
	clock_portal=$2
	clock_mode=$3
	# As arguments: the state directory's name holds a space.
	if [ -d "$STATE_DIR/$KS_FILE_TEMPLATES" ]; then set -- "$STATE_DIR/$KS_FILE_TEMPLATES/"*.pf; else set -- /dev/null; fi
	awk -v now="$clock_now" -v portal="$clock_portal" -v mode="$clock_mode" -v boot="$BOOT_TIME" -v windows="$WINDOWS_FILE" '
		BEGIN { while ((getline line < windows) > 0) if (split(line, f, " ") == 2) { ends[f[1]] = f[2]; known++ } }
		match($0, /^#@@ (network-link-)?until=[0-9]+:/) { at = substr($0, 5, RLENGTH - 5); sub(/.*=/, "", at); seen[at + 0] = 1 }
		END {
			if (portal != "") seen[portal + 0] = 1
			open = "no"; up = now - boot
			for (at in seen) {
				if (boot == "") continue
				if (at in ends) kept++
				else { ends[at] = at - boot; learnt = 1 }
				lines = lines at " " ends[at] "\n"
				if (now + 0 >= at + 0) continue
				if (up < ends[at] + 0) {
					end = now + ends[at] - up
					if (end > at + 0) end = at + 0
					if (at + 0 == portal + 0) open = "yes"
				} else if (mode == "on") end = now
				else continue
				if (next_at == "" || end < next_at) next_at = end
			}
			if (learnt || kept != known) { printf "%s", lines > (windows ".new"); print "write" }
			print (next_at == "" ? "-" : next_at), open
		}
	' "$@" 2>/dev/null | {
		IFS= read -r first
		if [ "$first" = write ]; then
			mv -f "$WINDOWS_FILE.new" "$WINDOWS_FILE" 2>/dev/null || rm -f "$WINDOWS_FILE.new"
			IFS= read -r first
		fi
		printf '%s\n' "${first:-- no}"
	}
}

# What a run read at its start is not a later run's: a change timer, which the run that starts it leaves behind,
# reads pf and the network anew for each change.
forget_readings() {
	STEADY_READ=no
	BOOT_LISTING=""
	SKIPPED_FOR=""
}

timer_is() { # TOKEN: whether the newest change timer is the one holding it
	{ IFS= read -r newest <"$TIMER_FILE"; } 2>/dev/null && [ "$newest" = "$1" ]
}

# A detached root process loads the rules again when the next change is due, with or without the watchdog, then
# waits for the one after. It counts uptime in steps of at most ten seconds (a sleeping Mac does not count down
# `sleep`). One runs at a time: $TIMER_FILE names the newest, and an older one ends at its next step.
start_change_timer() { # AT: seconds of the clock at NOW
	read_boot_time
	token=${WORK##*/}
	printf '%s\n' "$token" >"$TIMER_FILE" || return 0
	(
		trap 'if timer_is "$token"; then rm -f "$TIMER_FILE"; fi' EXIT
		trap '' HUP
		LOCKED=no
		forget_readings
		at=$1
		due=$((at - ${BOOT_TIME:-0}))
		while [ -n "$at" ] && timer_is "$token"; do
			BOOT_TIME=""
			read_boot_time
			left=$((due - $("$DATE" +%s) + ${BOOT_TIME:-0}))
			if [ "$left" -gt 0 ]; then
				[ "$left" -le 10 ] || left=10
				"$SLEEP" "$left"
				continue
			fi
			# Another action first (take_lock decides), without a work folder meanwhile.
			waited=0
			while [ -d "$LOCK_DIR" ] && [ "$waited" -lt 60 ]; do
				"$SLEEP" 1
				waited=$((waited + 1))
			done
			# In a subshell of its own, so its lock and work folder are gone before the next wait.
			# shellcheck disable=SC2046 # two numbers, or none
			set -- $(change_due "$at")
			at=${1:-}
			due=${2:-}
		done
	) </dev/null >/dev/null 2>&1 &
}

# Prints the change to wait for next, "AT DUE" (seconds of the clock its run read, and the uptime it is due at), or
# nothing when off or none is left: the one after this when state.json still records this one (a later Enable,
# Apply, check or Disable has the last word), else the one state.json records.
change_due() { # AT
	if ! WORK=$(mktemp -d "$SYSROOT/tmp/killswitch.XXXXXX"); then
		# A full disk: the rules whose time is up give way to blocking rules, as in the watchdog's check without a
		# work folder, and the timer ends; the next check with one loads the network's rules and times what is left.
		recorded_change
		if [ "$next" = "$1" ]; then
			hold_blocking_rules
			hold_without_work due
			report_without_work
		fi
		exit 0
	fi
	trap 'release_lock; rm -rf "$WORK"' EXIT
	: >"$WORK/warnings"
	take_lock 60 || exit 0
	NOW=$("$DATE" +%s)
	BOOT_TIME=""
	recorded_on || exit 0
	recorded_change
	if [ "$next" = "$1" ]; then
		refresh change-timer >/dev/null
		next=$NEXT_CHANGE
		boot=$BOOT_TIME
	fi
	if [ -n "$next" ]; then printf '%s %s\n' "$next" "$((next - ${boot:-0}))"; fi
}

# state.json's next change and the boot time it was recorded with, into next and boot (no here-document: bash 3.2,
# macOS's sh, writes one to /tmp, which may be full).
recorded_change() {
	recorded=$(state_values number:nextChangeAt number:bootTime)
	next=${recorded%%"$NL"*}
	boot=${recorded#*"$NL"}
}

# Whether, with no work folder (a full disk), a window's time is up (by the clock, or by uptime in the same boot).
window_due_without_work() {
	recorded_change
	[ -n "$next" ] || return 1
	now=$("$DATE" +%s)
	[ "$now" -lt "$next" ] || return 0
	BOOT_TIME=""
	read_boot_time
	[ -f "$WINDOWS_FILE" ] && [ -n "$boot" ] && [ -n "$BOOT_TIME" ] && [ $((now - BOOT_TIME)) -ge $((next - boot)) ]
}

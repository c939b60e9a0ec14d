# --- The actions: enable and apply, disable, uninstall, watch and inspect, and the report they print

report() {
	printf '@@ result\naction=%s\nattachment=%s\nreference=%s\nkilled=%s\nwatchdog=%s\n' \
		"$ACTION" "$ATTACHMENT" "$REFERENCE" "$KILLED" "$WATCHDOG"
	if [ -n "$PORTAL" ]; then printf 'captivePortalUntil=%s\n' "$PORTAL"; fi
	# What lets traffic past the rules just loaded (write_state read it): Enable's outcome is Not Protected while it does.
	if [ "$ACTION" = enable ] || [ "$ACTION" = apply ]; then
		printf 'skipped=%s\ntranslationPassing=%s\n' "$SKIPPED" "${TRANSLATION_LEFT:-0}"
	fi
	printf '@@ warnings\n'
	text_of "$WORK/warnings"
	printf '@@ anchor\n'
	pf -a "$KS_ANCHOR" -sr || true
	printf '@@ info\n'
	pf -s info || true
	printf '@@ references\n'
	pf -s References || true
	if [ -s "$WORK/removed" ]; then
		printf '@@ removed\n'
		text_of "$WORK/removed"
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
	[ "$HAVE_RULES" = yes ] || fail "$KS_EXIT_BAD_ARGUMENTS" "--rules is required for $ACTION"
	ends_with_newline "$RULES" || fail "$KS_EXIT_BAD_ARGUMENTS" "the rules must end with a newline"
	check_pinned
	take_lock 30 || fail "$KS_EXIT_BUSY" "Another kill switch action is running; try again in a moment."
	if [ "$ACTION" = apply ] && ! recorded_on; then fail "$KS_EXIT_NOT_ON" "The kill switch is off: there is nothing to apply."; fi
	ensure_state_dir
	now=$NOW
	# A window that ended while the prompt waited is still in the rules: the timer closes it at once.
	printf '%s' "$RULES" >"$WORK/anchor.pf" || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot write the rules to $WORK"
	pf -n -a "$KS_ANCHOR" -f "$WORK/anchor.pf" || fail "$KS_EXIT_RULES_REJECTED" "$(pf_said)"
	# Recording first, so the rules loaded below log to it.
	if [ -n "$CAPTURE_LIMIT" ]; then keep_capture "$CAPTURE_LIMIT" || :; fi
	links_for_checks
	check_templates "$now"
	if [ "$HAVE_FAIL_CLOSED" = yes ]; then
		rules_complete "$WORK/fail-closed.pf" || fail "$KS_EXIT_BAD_ARGUMENTS" "the fail-closed rules must end with the kill switch's final blocks"
		fill_template "$WORK/fail-closed.pf" "" "$now" "$WORK/links.check" >"$WORK/fail-closed.check"
		pf -n -a "$KS_ANCHOR" -f "$WORK/fail-closed.check" || fail "$KS_EXIT_RULES_REJECTED" "pf rejected the fail-closed rules: $(pf_said)"
	fi
	PREVIOUS=""
	if recorded_on && [ -f "$STATE_DIR/$KS_FILE_RULES" ] && cp "$STATE_DIR/$KS_FILE_RULES" "$WORK/previous.pf"; then
		PREVIOUS="$WORK/previous.pf"
	fi
	load "$WORK/anchor.pf" || fail "$KS_EXIT_LOAD_FAILED" "pf could not load the kill switch rules: $(pf_message)"
	if ! attach; then
		roll_back
		fail "$KS_EXIT_NOT_ATTACHED" "The kill switch rules cannot be put ahead of the other pf rules: $ATTACH_PROBLEM"
	fi
	if ! hold_reference; then
		said=$(pf_message)
		roll_back
		fail "$KS_EXIT_NO_REFERENCE" "pf could not be enabled for the kill switch: $said"
	fi
	set_translation_passes_aside
	if [ -n "$TRANSLATION_PROBLEM" ]; then
		warn "Another program's translation rules pass packets without any filter rule, the kill switch rules included: $TRANSLATION_FOUND. They could not be set aside ($TRANSLATION_PROBLEM); until that program removes them, their packets leave outside the kill switch."
	elif [ "$TRANSLATION_COUNT" -gt 0 ]; then
		warn "Another program's translation rules passed packets without any filter rule, the kill switch rules included: $TRANSLATION_FOUND. They were set aside: kept without pass, so the kill switch rules decide their packets."
	fi
	note_phase
	note_processes
	bridged=$(unfiltered_bridges)
	if [ -n "$bridged" ]; then
		warn "A bridge forwards past pf, so past the kill switch rules: $bridged."
	fi
	if ! { cp "$WORK/anchor.pf" "$STATE_DIR/$KS_FILE_RULES.new" && share_with_admins "$STATE_DIR/$KS_FILE_RULES"; }; then
		warn "The rules in force could not be saved to $STATE_DIR/$KS_FILE_RULES."
	fi
	save_templates || warn "The watchdog's rules could not be saved; it will keep the rules loaded now."
	save_fail_closed || warn "The fail-closed rules could not be saved; the watchdog would fall back to link plumbing only."
	printf '%s' "$KILLS" >"$WORK/kills"
	# Kept for the watchdog, which kills what opened while the rules were not in force (an Apply that
	# keeps connections sends none and leaves the last list).
	if [ -s "$WORK/kills" ]; then cp "$WORK/kills" "$STATE_DIR/$KS_FILE_KILLS" || true; fi
	write_resolved || warn "The resolved host names could not be recorded."
	write_server_names
	if [ "$STARTUP" = yes ]; then
		if ! install_watchdog; then
			STARTUP=no
			WATCHDOG=failed
			warn "Protection from startup could not be installed (launchctl: ${LAUNCHCTL_PROBLEM:-no answer}); the kill switch is on until the next restart."
		fi
	else
		remove_watchdog
	fi
	read_boot_time
	read -r NEXT_CHANGE _ <<WINDOWS
$(window_clock "$now" "$PORTAL" on)
WINDOWS
	if [ "$NEXT_CHANGE" = - ]; then NEXT_CHANGE=""; fi
	write_state || warn "The state file $STATE_DIR/$KS_FILE_STATE could not be written; the status may be wrong."
	if [ -n "$NEXT_CHANGE" ]; then start_change_timer "$NEXT_CHANGE"; else rm -f "$TIMER_FILE"; fi
	kill_states "$WORK/kills"
	report
}

# Removes the watchdog, our rules, our main-ruleset reference, our pf reference and our files.
turn_off() {
	WAS_ON=yes
	if anchor_is_empty && [ ! -f "$STATE_DIR/$KS_FILE_STATE" ]; then WAS_ON=no; fi
	# The lock keeps the watchdog out meanwhile; it is removed once the rules are, so a failed Disable
	# leaves the kill switch exactly as it was, watchdog included.
	flush_anchor || fail "$KS_EXIT_LOAD_FAILED" "pf could not remove the kill switch rules, nothing else was changed: $(pf_message)"
	remove_watchdog
	stop_capture
	# The change timer ends at its next step; the window ends are this boot's, and go with the rest.
	rm -f "$TIMER_FILE" "$WINDOWS_FILE" "$WINDOWS_FILE.new"
	detach || warn "A reference to the (now empty) kill switch anchor stays in the main ruleset; it changes nothing."
	release
	PINNED=""
	write_hosts_block || warn "The kill switch's block of VPN server names could not be removed from $SYSROOT/etc/hosts; remove the lines between its # BEGIN and # END $KS_ID lines by hand."
	if state_dir_is_ours; then
		rm -rf "$STATE_DIR/${KS_FILE_TEMPLATES:?}" "$STATE_DIR/$KS_FILE_TEMPLATES.new" "$STATE_DIR/$KS_FILE_TEMPLATES.old"
		rm -f "$STATE_DIR/$KS_FILE_RULES" "$STATE_DIR/$KS_FILE_RULES.new" "$STATE_DIR/$KS_FILE_TOKEN" "$STATE_DIR/$KS_FILE_TOKEN.new" \
			"$STATE_DIR/$KS_FILE_STATE" "$STATE_DIR/$KS_FILE_STATE.new" "$STATE_DIR/$KS_FILE_STATUS" \
			"$STATE_DIR/$KS_FILE_STATUS.new" "$STATE_DIR/$KS_FILE_KILLS" "$STATE_DIR/$KS_FILE_RESOLVED" \
			"$STATE_DIR/$KS_FILE_RESOLVED.new" "$STATE_DIR/$KS_FILE_WATCHDOG_STATUS" "$STATE_DIR/$KS_FILE_WATCHDOG_STATUS.new" \
			"$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES" "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES.new" \
			"$STATE_DIR/$KS_FILE_NETWORK" "$STATE_DIR/$KS_FILE_NETWORK.new" \
			"$STATE_DIR/$KS_FILE_LOADED_RULES_SUM" "$STATE_DIR/$KS_FILE_LOADED_RULES_SUM.new" \
			"$STATE_DIR/$KS_FILE_LOADED_AT" "$STATE_DIR/$KS_FILE_LOADED_AT.new" \
			"$STATE_DIR/$KS_FILE_STEADY" "$STATE_DIR/$KS_FILE_STEADY.new"
		rmdir "$STATE_DIR" 2>/dev/null || true
	fi
}

do_off() {
	take_lock 30 || fail "$KS_EXIT_BUSY" "Another kill switch action is running; try again in a moment."
	turn_off
	report
}

# Disable, then whatever else of ours is left, listed in the report: no trace in pf, launchd or on disk.
do_uninstall() {
	take_lock 30 || fail "$KS_EXIT_BUSY" "Another kill switch action is running; try again in a moment."
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

# Empties the record of blocked traffic and goes on recording (one prompt, from Blocked Traffic).
do_clear_log() {
	take_lock 30 || fail "$KS_EXIT_BUSY" "Another kill switch action is running; try again in a moment."
	limit=$(capture_limit)
	if [ -d "$CAPTURE" ]; then
		pid=$(capture_pid)
		if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || :; fi
		rm -f "$CAPTURE"/blocked.pcap* "$CAPTURE"/previous.pcap* "$CAPTURE/processes" "$CAPTURE/phases" "$CAPTURE/tcpdump.pid"
		if [ "$limit" != 0 ] && recorded_on; then
			keep_capture "$limit" || :
			TUNNELS=$(state_values list:tunnels)
			note_phase
			note_processes
		fi
	fi
	report
}

do_watch() {
	# Blocking rules put in force without the lock wait for whoever holds it, then are checked like any others.
	if [ "$BOOT_RULES" = loaded ]; then take_lock 60 || exit 1; else take_lock 0 || exit 0; fi
	# Off means off: after Disable (which removes state.json) nothing is put back, whatever launchd still runs.
	if ! state_dir_is_ours || [ ! -f "$STATE_DIR/$KS_FILE_STATE" ]; then
		if [ "$BOOT_RULES" = loaded ]; then withdraw_boot_rules; fi
		exit 0
	fi
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
		read -r gateway_ip gateway_if internet_if <<EOF
$(physical_gateway)
EOF
		IDENTITY=$(network_identity "$gateway_ip" "$gateway_if")
		SECURITY=$(link_security "$gateway_if")
		TUNNELS=$(vpn_tunnels "$internet_if" "")
	fi
	printf '@@ watchdog\nnetwork=%s\nsecurity=%s\nrules=%s\ntunnels=%s\nup=%s\n' "$IDENTITY" "$SECURITY" "$TEMPLATE" "$TUNNELS" "$(vpn_tunnels "*" "")"
	if [ -f "$WORK/desired.pf" ]; then
		printf '@@ rules\n'
		cat "$WORK/desired.pf"
	fi
	printf '@@ end\n'
}

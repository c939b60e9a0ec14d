# --- The watchdog: its LaunchDaemon, the root timer for the next change (a portal window or an exception
# that ends), and its check, which puts the kill switch back as recorded

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
		<string>$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT</string>
		<string>watch</string>
		<string>$SYSROOT</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>AbandonProcessGroup</key>
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
	if ! { printf '%s' "$STARTUP_SCRIPT" >"$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT.new" && chmod 0755 "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT.new"; }; then
		return 1
	fi
	if ! { launch_daemon_plist >"$plist.new" && chmod 0644 "$plist.new"; }; then return 1; fi
	if cmp -s "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT.new" "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT" && cmp -s "$plist.new" "$plist" && daemon_loaded; then
		rm -f "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT.new" "$plist.new"
		WATCHDOG=kept
		return 0
	fi
	if ! { mv -f "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT.new" "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT" && mv -f "$plist.new" "$plist"; }; then return 1; fi
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
	if [ ! -f "$plist" ] && [ ! -f "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT" ] && ! daemon_loaded; then
		WATCHDOG=none
		return 0
	fi
	"$LAUNCHCTL" bootout "system/$KS_ID" >/dev/null 2>&1 || "$LAUNCHCTL" unload "$plist" >/dev/null 2>&1
	rm -f "$plist" "$plist.new" "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT" "$STATE_DIR/$KS_FILE_WATCHDOG_SCRIPT.new"
	WATCHDOG=removed
	if daemon_loaded; then
		WATCHDOG=remove-failed
		warn "launchd still runs the kill switch's watchdog ($KS_ID); it changes nothing while the kill switch is off."
	fi
}

# The watchdog's check, also run by the change timer: loads the rules this network and these tunnels
# call for (closing an expired captive portal window), re-attaches our anchor, re-takes our pf reference,
# and records what it found. A repair is anything someone else undid: rules gone, anchor detached, pf
# stopped or our reference released.
refresh() { # WHO (watchdog, change-timer): recorded as changedBy when it rewrites state.json
	CHANGED_BY=$1
	now=$NOW
	# The steady check's baseline, made anew by a check that finds all in force.
	: >"$WORK/began"
	: >"$STEADY"
	read_boot_time
	boot=$BOOT_TIME
	done_list=""
	repairs=""
	# What the record says, read once (one line a field, in this order).
	{
		IFS= read -r PORTAL
		IFS= read -r startup_recorded
		IFS= read -r SERVERS
		IFS= read -r SERVER_ADDRESSES
		IFS= read -r was_tunnels
		IFS= read -r was_boot
		IFS= read -r was_attachment
		IFS= read -r was_next_change
		IFS= read -r TUNNEL_ROUTES
	} <<RECORD
$(state_values number:captivePortalUntil raw:protectFromStartup list:servers list:serverAddresses list:tunnels \
		number:bootTime string:attachment number:nextChangeAt list:tunnelRoutes)
RECORD
	read -r NEXT_CHANGE portal_open <<WINDOWS
$(window_clock "$now" "$PORTAL" check)
WINDOWS
	if [ "$NEXT_CHANGE" = - ]; then NEXT_CHANGE=""; fi
	if [ -n "$PORTAL" ] && [ "$portal_open" = no ]; then
		PORTAL=""
		done_list="closed the captive portal window"
	fi
	STARTUP=no
	if [ "$startup_recorded" = true ]; then STARTUP=yes; fi
	was_network=""
	if [ -f "$STATE_DIR/$KS_FILE_NETWORK" ]; then IFS= read -r was_network <"$STATE_DIR/$KS_FILE_NETWORK" || :; fi
	# After a restart (or when the timer went missing) a change still to come needs a timer again.
	if [ -n "$NEXT_CHANGE" ] && [ ! -f "$TIMER_FILE" ]; then start_change_timer "$NEXT_CHANGE"; fi
	# Recording before this network's rules are loaded, so they log to it (blocking rules are in force already).
	keep_capture "$(capture_limit)" || :
	keep_hosts_block
	desired_rules "$WORK/desired.pf" "$now"
	if ! rules_complete "$WORK/desired.pf"; then
		fail_closed "the watchdog's rules for this network (${TEMPLATE:-none}) are missing or incomplete"
		return 1
	fi
	NETWORK_ID=$IDENTITY
	reload=no
	if [ "$BOOT_RULES" = loaded ] || ! anchor_in_force; then
		reload=yes
		if [ "$was_boot" != "$boot" ]; then
			repairs="loaded the rules after a restart"
		else
			repairs="put back the kill switch rules, which were gone from pf"
		fi
	elif ! anchor_as_loaded; then
		reload=yes
		repairs="put back the kill switch rules, which another program had replaced"
	elif ! same_rules "$WORK/desired.pf" "$STATE_DIR/$KS_FILE_RULES"; then
		reload=yes
	elif [ -n "$(capture_interface)" ] && ! grep -q "to $(capture_interface))" "$WORK/ours"; then
		# Loaded before the recording had its interface (it was created again after a restart, say).
		reload=yes
	fi
	if [ "$TUNNELS" != "$was_tunnels" ]; then
		done_list="$done_list${done_list:+, }now letting through ${TUNNELS:-no tunnel (blocking mode)}"
	fi
	if [ "$IDENTITY" != "$was_network" ]; then
		done_list="$done_list${done_list:+, }on another network (rules $TEMPLATE)"
	fi
	if [ "$reload" = yes ]; then
		if ! pf -n -a "$KS_ANCHOR" -f "$WORK/desired.pf" || ! load "$WORK/desired.pf"; then
			fail_closed "pf refused the rules for this network ($TEMPLATE): $(pf_message)"
			return 1
		fi
		cp "$WORK/desired.pf" "$STATE_DIR/$KS_FILE_RULES.new" && share_with_admins "$STATE_DIR/$KS_FILE_RULES"
	fi
	if attach; then
		if [ "$ATTACH_CHANGED" = yes ] || [ "$BOOT_ATTACHED" = yes ]; then repairs="$repairs${repairs:+, }re-attached the kill switch anchor to the main ruleset"; fi
		if [ "$BOOT_ATTACHED" = aside ]; then repairs="$repairs${repairs:+, }set the other main pf rules aside to put the kill switch first ($BOOT_PROBLEM)"; fi
	elif attach_alone; then
		repairs="$repairs${repairs:+, }set the other main pf rules aside to put the kill switch first ($ATTACH_PROBLEM)"
	else
		write_watchdog_status failed "the kill switch rules cannot be put ahead of the other pf rules: $ATTACH_PROBLEM; $(pf_message)" no
		return 1
	fi
	if ! hold_reference; then
		write_watchdog_status failed "pf could not be enabled for the kill switch: $(pf_message)" no
		return 1
	fi
	if { [ "$REFERENCE" = taken ] || [ "$BOOT_REFERENCE" = taken ]; } && [ "$was_boot" = "$boot" ]; then
		repairs="$repairs${repairs:+, }enabled pf again (it was stopped or the kill switch's reference was released)"
	fi
	set_translation_passes_aside
	if [ "$TRANSLATION_COUNT" -gt 0 ] && [ -z "$TRANSLATION_PROBLEM" ]; then
		repairs="$repairs${repairs:+, }set aside another program's translation rules with pass (kept without pass, so the filter rules decide their packets)"
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
	if [ -n "$repairs" ] && [ -f "$STATE_DIR/$KS_FILE_KILLS" ]; then kill_states "$STATE_DIR/$KS_FILE_KILLS"; fi
	note_phase
	note_processes
	remember_processes
	read_skipped "$TUNNELS"
	if [ -n "$SKIPPED" ]; then
		# Not ours to undo: the main ruleset is another program's. Said until it is gone.
		write_watchdog_status failed "pf skips $SKIPPED (set skip on, in the main ruleset): nothing is filtered there, the kill switch rules included${repairs:+; $repairs}" "${repairs:+yes}"
		return 1
	fi
	if [ "$TRANSLATION_COUNT" -gt 0 ]; then
		# Its packets left without our rules until now, and the program may load it again: said until it is gone.
		if [ -n "$TRANSLATION_PROBLEM" ]; then
			write_watchdog_status failed "another program's translation rules pass packets without any filter rule, the kill switch rules included: $TRANSLATION_FOUND; they could not be set aside ($TRANSLATION_PROBLEM)${repairs:+; $repairs}" "${repairs:+yes}"
		else
			write_watchdog_status failed "another program's translation rules passed packets without any filter rule, the kill switch rules included: $TRANSLATION_FOUND; $repairs" yes
		fi
		return 1
	fi
	# Said at every check while on such a network: Allow Local Network passes none of it.
	if [ -n "$NOT_LOCAL" ]; then done_list="$done_list${done_list:+, }this network calls public addresses local; not passed: $NOT_LOCAL"; fi
	# What could not be read or started (the network, the record of what pf blocks), said at every check it lasts.
	if [ -s "$WORK/warnings" ]; then done_list="$done_list${done_list:+; }$(tr '\n' ' ' <"$WORK/warnings" | sed 's/[. ]*$//')"; fi
	bridged=$(unfiltered_bridges)
	if [ -n "$bridged" ]; then
		# Not ours to undo either: a bridge someone made (a virtual machine's) forwards past pf. Said while it does.
		write_watchdog_status failed "$bridged${repairs:+; $repairs}" "${repairs:+yes}"
		return 1
	fi
	if [ -n "$repairs" ]; then
		write_watchdog_status repaired "$repairs${done_list:+; }$done_list" yes
	else
		write_watchdog_status ok "${done_list:-rules in force}" no
	fi
	remember_steady "$WORK/began"
}

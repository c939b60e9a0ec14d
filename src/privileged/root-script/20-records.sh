# --- The lock, the state directory and the records in it: state.json (read with the shell's builtins),
# resolved.json and watchdog.json

# One action at a time: a watchdog check must never run in the middle of a Disable (and re-arm what it
# removes). mkdir is atomic; a lock whose holder is gone (killed) is taken over by one contender only.
take_lock() { # SECONDS_TO_WAIT
	waited=0
	while ! mkdir "$LOCK_DIR" 2>/dev/null; do
		[ -d "${LOCK_DIR%/*}" ] || return 1
		holder=""
		run=""
		{ IFS=' ' read -r holder run <"$LOCK_DIR/pid"; } 2>/dev/null || :
		case $holder in '' | *[!0-9]*) holder="" ;; esac
		case $run in *[!A-Za-z0-9.]*) holder="" ;; esac
		if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
			# Only the contender that first claims this holder's run (its pid and work folder's name, never
			# reused) removes its lock: another that read the same holder finds the claim and waits, since
			# the lock may be a new holder's by then. Claims are empty folders; /var/run is emptied at boot.
			if mkdir "$LOCK_DIR.broken-$holder-$run" 2>/dev/null; then
				rm -rf "$LOCK_DIR"
				continue
			fi
		fi
		[ "$waited" -lt "$1" ] || return 1
		waited=$((waited + 1))
		"$SLEEP" 1
	done
	LOCKED=yes
	# $$ names the main shell even in a subshell (the change timer); the parent of a new sh is this one.
	# shellcheck disable=SC2016 # expanded by that new sh, on purpose
	"$SH" -c 'echo "$PPID $1"' sh "${WORK##*/}" >"$LOCK_DIR/pid"
}

release_lock() {
	if [ "$LOCKED" = yes ]; then rm -rf "$LOCK_DIR"; fi
	LOCKED=no
}

# The directory is created by root and must stay root's: anything else could swap the files pf loads.
ensure_state_dir() {
	if [ -L "$STATE_DIR" ]; then fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "$STATE_DIR is a symbolic link; not using it"; fi
	if [ ! -d "$STATE_DIR" ]; then
		mkdir -p "$STATE_DIR" || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot create $STATE_DIR"
	fi
	[ -O "$STATE_DIR" ] || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "$STATE_DIR belongs to another user; not using it"
	chmod 0755 "$STATE_DIR" || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot set the permissions of $STATE_DIR"
}

state_dir_is_ours() {
	[ -d "$STATE_DIR" ] && [ ! -L "$STATE_DIR" ] && [ -O "$STATE_DIR" ]
}

# Fields of state.json, which this script writes on one line in a fixed shape, printed one a line in the
# order asked, each as KIND:NAME: number (digits), string (without its quotes), list (["a","b"] as "a b") or
# raw (true, false). A field that is missing, null or of another kind prints an empty line. Read with the
# shell's own commands: no program is started, and a caller reads several fields with one call.
state_values() { # KIND:NAME...
	state_line=""
	if [ -f "$STATE_DIR/$KS_FILE_STATE" ]; then IFS= read -r state_line <"$STATE_DIR/$KS_FILE_STATE" || :; fi
	for wanted in "$@"; do
		kind=${wanted%%:*}
		name=${wanted#*:}
		raw=""
		case $state_line in *"\"$name\":"*) raw=${state_line#*"\"$name\":"} ;; esac
		value=""
		case $kind:$raw in
		string:\"*)
			value=${raw#\"}
			value=${value%%\"*}
			;;
		# A list of strings ends at its first `"]` (a string never holds a quote; a server may hold a bracket).
		list:\[\"*)
			list=${raw#\[}
			list=${list%%\"]*}\"
			while [ -n "$list" ]; do
				item=${list%%,*}
				item=${item#\"}
				value="$value${value:+ }${item%\"}"
				case $list in *,*) list=${list#*,} ;; *) list="" ;; esac
			done
			;;
		number:[0-9]*)
			value=${raw%%[,\}]*}
			case $value in *[!0-9]*) value="" ;; esac
			;;
		raw:*) value=${raw%%[,\}]*} ;;
		esac
		printf '%s\n' "$value"
	done
}

recorded_on() {
	[ "$(state_values string:status)" = on ]
}

# Moves FILE.new over FILE, world-readable: for the records the status reads without root, which hold
# nothing of the networks themselves.
publish() { # FILE
	chmod 0644 "$1.new" && mv -f "$1.new" "$1"
}

# Moves FILE.new over FILE, readable by the admin group (gid 80 on macOS) and root only: the rules in force,
# which Verify Kill Switch Rules reads without a prompt. Whoever is an admin can be root anyway. Where the
# group cannot be set (a test's stand-in tree without root), it stays root's alone.
share_with_admins() { # FILE
	if chgrp 80 "$1.new" 2>/dev/null; then chmod 0640 "$1.new"; fi
	mv -f "$1.new" "$1"
}

# state.json: what is in force, for the watchdog, root's alone (0600); status.json: the part Status shows,
# world-readable, with what lets traffic past the rules as pf showed it then (interfaces it skips, another
# program's translation rules that still pass). The network the rules were built for is kept apart, root's alone too.
write_state() {
	read_skipped "$TUNNELS"
	read_boot_time
	boot=$BOOT_TIME
	reference=null
	if [ -n "$TOKEN" ]; then reference="\"$TOKEN\""; fi
	if [ -n "$NETWORK_ID" ]; then
		printf '%s\n' "$NETWORK_ID" >"$STATE_DIR/$KS_FILE_NETWORK.new" && mv -f "$STATE_DIR/$KS_FILE_NETWORK.new" "$STATE_DIR/$KS_FILE_NETWORK"
	else
		rm -f "$STATE_DIR/$KS_FILE_NETWORK"
	fi
	startup=false
	if [ "$STARTUP" = yes ]; then startup=true; fi
	printf '{"version":1,"status":"on","anchor":"%s","attachment":"%s","bootTime":%s,"changedAt":%s,"changedBy":"%s","tunnels":[%s],"reference":%s,"captivePortalUntil":%s,"protectFromStartup":%s,"servers":[%s],"serverAddresses":[%s],"nextChangeAt":%s,"tunnelRoutes":[%s],"pinnedNames":[%s]}\n' \
		"$KS_ANCHOR" "$ATTACHMENT" "${boot:-null}" "$NOW" "${CHANGED_BY:-$ACTION}" "$(json_list "$TUNNELS")" "$reference" \
		"${PORTAL:-null}" "$startup" "$(json_list "$SERVERS")" "$(json_list "$SERVER_ADDRESSES")" \
		"${NEXT_CHANGE:-null}" "$(json_list "$TUNNEL_ROUTES")" "$(json_list "$PINNED")" \
		>"$STATE_DIR/$KS_FILE_STATE.new" && mv -f "$STATE_DIR/$KS_FILE_STATE.new" "$STATE_DIR/$KS_FILE_STATE" || return 1
	# What Status shows, for anyone: the rest (the pf token, the servers' addresses, the anchor) is root's.
	printf '{"version":1,"status":"on","bootTime":%s,"changedAt":%s,"changedBy":"%s","tunnels":[%s],"captivePortalUntil":%s,"protectFromStartup":%s,"servers":[%s],"tunnelRoutes":[%s],"skippedInterfaces":[%s],"translationPassing":%s,"pinnedNames":[%s]}\n' \
		"${boot:-null}" "$NOW" "${CHANGED_BY:-$ACTION}" "$(json_list "$TUNNELS")" "${PORTAL:-null}" "$startup" \
		"$(json_list "$SERVERS")" "$(json_list "$TUNNEL_ROUTES")" "$(skipped_json)" "${TRANSLATION_LEFT:-0}" "$(json_list "$PINNED")" \
		>"$STATE_DIR/$KS_FILE_STATUS.new" && publish "$STATE_DIR/$KS_FILE_STATUS"
}

# The interfaces pf skips, as skipped_interfaces joins them in SKIPPED ("en0, en1"), as a JSON list's items.
skipped_json() {
	words=""
	for word in $SKIPPED; do words="$words ${word%,}"; done
	json_list "$words"
}

# resolved.json: what each host name in the settings resolved to, for when DNS is blocked later; version 2:
# every answer in it was confirmed by the user or came through the VPN.
write_resolved() {
	[ -s "$WORK/resolved" ] || return 0
	hosts=""
	while read -r host addresses; do
		hosts="$hosts${hosts:+,}\"$host\":[$(json_list "$(printf '%s' "$addresses" | tr ',' ' ')")]"
	done <"$WORK/resolved"
	printf '{"version":2,"hosts":{%s}}\n' "$hosts" >"$STATE_DIR/$KS_FILE_RESOLVED.new" &&
		publish "$STATE_DIR/$KS_FILE_RESOLVED"
}

# watchdog.json: what the last check found and did, world-readable for the status (no network's identity).
write_watchdog_status() { # RESULT MESSAGE REPAIRED(yes|no)
	now=$NOW
	read_boot_time
	boot=$BOOT_TIME
	enabled=false
	if pf_enabled; then enabled=true; fi
	hash=null
	if [ -f "$STATE_DIR/$KS_FILE_RULES" ]; then
		sum=$(cksum <"$STATE_DIR/$KS_FILE_RULES")
		hash="\"${sum%% *}\""
	fi
	template=null
	if [ -n "$TEMPLATE" ]; then template="\"$TEMPLATE\""; fi
	repair_at=null
	repair=null
	if [ "$3" = yes ]; then
		repair_at=$now
		repair="\"$(json_text "$2")\""
	elif [ -f "$STATE_DIR/$KS_FILE_WATCHDOG_STATUS" ]; then
		# The last repair stays on show until the next one. watchdog.json is one line; a string in it holds no bare
		# quote, so the last "lastRepairAt": and "lastRepair": are the fields.
		line=""
		IFS= read -r line <"$STATE_DIR/$KS_FILE_WATCHDOG_STATUS" || :
		case $line in *'"lastRepairAt":'[0-9]*)
			repair_at=${line##*'"lastRepairAt":'}
			repair_at=${repair_at%%[!0-9]*}
			;;
		esac
		[ -n "$repair_at" ] || repair_at=null
		# lastRepair is the last field, so its string runs to the closing quote before the final brace.
		case $line in *'"lastRepair":"'*'"}')
			repair=${line##*'"lastRepair":'}
			repair=${repair%?}
			;;
		esac
	fi
	failed_closed=false
	if [ "$FAILED_CLOSED" = yes ]; then failed_closed=true; fi
	printf '{"version":1,"watchdogVersion":%s,"intervalSeconds":%s,"checkedAt":%s,"bootTime":%s,"result":"%s","message":"%s","pfEnabled":%s,"attachment":"%s","rulesHash":%s,"rulesFile":%s,"tunnels":[%s],"failedClosed":%s,"translationPasses":%s,"skippedInterfaces":[%s],"counters":%s,"notLocal":[%s],"lastRepairAt":%s,"lastRepair":%s}\n' \
		"$KS_VERSION" "$KS_WATCHDOG_INTERVAL" "$now" "${boot:-0}" "$1" "$(json_text "$2")" "$enabled" "$ATTACHMENT" \
		"$hash" "$template" "$(json_list "$TUNNELS")" "$failed_closed" "${TRANSLATION_COUNT:-0}" "$(skipped_json)" "$(rule_counters)" "$(json_list "$NOT_LOCAL")" "$repair_at" "$repair" >"$STATE_DIR/$KS_FILE_WATCHDOG_STATUS.new" &&
		publish "$STATE_DIR/$KS_FILE_WATCHDOG_STATUS"
}

# --- What pf blocks, recorded: the kill switch's own pflog interface, and a rotating capture of it for
# `killswitch log`. Bounded (LIMIT files of 1 MB each, written in turn), readable by the admin group only,
# never sent anywhere. Its folder, $CAPTURE, holds: interface (pflogN), limit, tcpdump.pid, blocked.pcapN.

# The pflog interface the rules log to while recording: pflogN as recorded, else nothing.
capture_interface() {
	[ -f "$CAPTURE/interface" ] || return 0
	IFS= read -r name <"$CAPTURE/interface" || :
	case $name in pflog[0-9] | pflog[0-9][0-9]) printf '%s\n' "$name" ;; esac
}

# The megabytes to record in, as Enable set it; 0 when not recording.
capture_limit() {
	limit=0
	if [ -f "$CAPTURE/limit" ]; then IFS= read -r limit <"$CAPTURE/limit" || :; fi
	is_seconds "${limit:-x}" || limit=0
	printf '%s\n' "$limit"
}

# The recorded tcpdump's pid when that process still runs (not a zombie) and is a tcpdump (pids are reused).
capture_pid() {
	[ -f "$CAPTURE/tcpdump.pid" ] || return 0
	IFS= read -r pid <"$CAPTURE/tcpdump.pid" || :
	is_seconds "${pid:-x}" || return 0
	read -r stat command <<EOF
$(ps -p "$pid" -o stat= -o comm= 2>/dev/null)
EOF
	case ${stat:-Z} in Z*) return 0 ;; esac
	case ${command##*/} in tcpdump) printf '%s\n' "$pid" ;; esac
}

# Keeps the recording going with LIMIT megabytes (0: none, and what was recorded is removed). Called before
# rules are loaded, at boot too, so what tries to get out while the Mac starts is seen. The interface is our
# own, an N no other software has created, so nothing but the kill switch's rules feeds it.
keep_capture() { # LIMIT
	if [ "$1" = 0 ]; then
		stop_capture
		return 0
	fi
	mkdir -p "$CAPTURE" || return 1
	printf '%s\n' "$1" >"$CAPTURE/limit"
	name=$(capture_interface)
	if [ -n "$name" ] && ! "$IFCONFIG" "$name" >/dev/null 2>&1; then name=""; fi
	if [ -z "$name" ]; then
		n=1
		while [ "$n" -le 15 ]; do
			if ! "$IFCONFIG" "pflog$n" >/dev/null 2>&1 && "$IFCONFIG" "pflog$n" create >/dev/null 2>&1; then
				name=pflog$n
				break
			fi
			n=$((n + 1))
		done
		if [ -z "$name" ]; then
			warn "No pflog interface could be created, so what pf blocks is not recorded."
			return 1
		fi
		printf '%s\n' "$name" >"$CAPTURE/interface"
	fi
	if [ -z "$(capture_pid)" ]; then
		# Detached: it outlives this run (launchd leaves it be: AbandonProcessGroup), until Disable or a restart.
		"$TCPDUMP" -i "$name" -n -U -C 1 -W "$1" -w "$CAPTURE/blocked.pcap" </dev/null >/dev/null 2>&1 &
		printf '%s\n' "$!" >"$CAPTURE/tcpdump.pid"
	fi
	share_capture
}

# The admin group may read the capture (tcpdump creates each file root's, 0600): Blocked Traffic and
# `killswitch log` read it without a prompt. Whoever is an admin can be root anyway.
share_capture() {
	chgrp 80 "$CAPTURE" 2>/dev/null && chmod 0750 "$CAPTURE"
	for file in "$CAPTURE"/blocked.pcap*; do
		[ -f "$file" ] || continue
		chgrp 80 "$file" 2>/dev/null && chmod 0640 "$file"
	done
	return 0
}

# Stops the recording and removes it: tcpdump, our pflog interface, the files.
stop_capture() {
	[ -d "$CAPTURE" ] || return 0
	pid=$(capture_pid)
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || :; fi
	name=$(capture_interface)
	if [ -n "$name" ]; then "$IFCONFIG" "$name" destroy >/dev/null 2>&1 || :; fi
	rm -rf "$CAPTURE"
}

# The rules as they are loaded: while recording, what they log goes to our pflog interface.
rules_logging_to_capture() { # FILE OUTPUT
	name=$(capture_interface)
	if [ -z "$name" ]; then
		cp "$1" "$2"
		return
	fi
	sed "s/ log (user) / log (user, to $name) /" "$1" >"$2"
}

# --- What pf blocks, recorded: the kill switch's own pflog interface, and a rotating capture of it for
# `killswitch log`. Bounded (LIMIT megabytes: files of 1 MB written in turn, half of them the last tcpdump's,
# previous.pcapN), readable by the admin group only,
# never sent anywhere. Its folder, $CAPTURE, holds: interface (pflogN), limit, tcpdump.pid, blocked.pcapN,
# and what reading it needs: processes (the names of pids) and phases (boot, vpn-down, vpn-up).

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
		if [ ! -x "$TCPDUMP" ]; then
			warn "tcpdump ($TCPDUMP) cannot be run, so what pf blocks is not recorded."
			return 1
		fi
		# A new tcpdump starts again at blocked.pcap0, so what the last one wrote (a boot ago, say) is kept as
		# previous.pcapN: half the megabytes each.
		files=$(($1 / 2))
		[ "$files" -ge 1 ] || files=1
		if [ -f "$CAPTURE/blocked.pcap0" ]; then
			rm -f "$CAPTURE"/previous.pcap*
			for file in "$CAPTURE"/blocked.pcap*; do mv -f "$file" "$CAPTURE/previous.pcap${file##*blocked.pcap}"; done
		fi
		# Detached: it outlives this run (launchd leaves it be: AbandonProcessGroup), until Disable or a restart.
		# Its files readable by the admin group (the folder's) from the start, as share_capture leaves them.
		(umask 027 && exec "$TCPDUMP" -i "$name" -n -U -C 1 -W "$files" -w "$CAPTURE/blocked.pcap") </dev/null >/dev/null 2>&1 &
		printf '%s\n' "$!" >"$CAPTURE/tcpdump.pid"
	fi
	share_capture
}

# The admin group may read the capture (tcpdump creates each file root's, 0600): Blocked Traffic and
# `killswitch log` read it without a prompt. Whoever is an admin can be root anyway.
# The files in one chgrp and one chmod: this runs at every full check. Where the folder's group cannot be set (a
# test's stand-in tree without root), nothing is widened; a file tcpdump rotated away meanwhile stops no other.
share_capture() {
	chgrp 80 "$CAPTURE" 2>/dev/null || return 0
	chmod 0750 "$CAPTURE"
	set --
	for file in "$CAPTURE"/blocked.pcap* "$CAPTURE"/previous.pcap* "$CAPTURE/processes" "$CAPTURE/phases"; do
		[ ! -f "$file" ] || set -- "$@" "$file"
	done
	[ "$#" -eq 0 ] || { chgrp 80 "$@" 2>/dev/null; chmod 0640 "$@" 2>/dev/null; }
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

# The processes pf's log may name by pid, kept beside the capture (a process may be gone by the time anyone
# reads it): in processes, one line a process, "START<tab>PID<tab>ENDED<tab>PATH". START: when it began, ps's
# elapsed time counted back from a clock read after ps, so never earlier than it really began. ENDED: the first
# check that no longer listed it, 0 while it runs. PATH: what it calls itself (argv[0], the executable's full
# path for most), a name it chose, never proof. A process's line is written once, not again while it runs.
# Bounds: running processes are kept; of those that ended, the last PROCESS_ENDED_PER_PATH of each path, the
# latest first, up to PROCESS_LINES lines in all; when a line goes, the older lines of its pid go too (they
# would name its packets). A process that lives between two checks goes unnamed.
PROCESS_LINES=5000
PROCESS_ENDED_PER_PATH=50
PROCESS_PATH_LIMIT=512
# Seconds two readings of one running process's start may differ by (where ps and the clock fell in a second).
PROCESS_START_SLACK=5

note_processes() {
	[ -d "$CAPTURE" ] || return 0
	[ -f "$CAPTURE/processes" ] || : >"$CAPTURE/processes"
	# -ww: the whole path, however long. ps encodes a control character in a name (strvis), so each line is one
	# process: the pid and the elapsed time hold no free text, and the path is the rest of the line.
	"$PS" -axww -o pid=,etime=,comm= >"$WORK/processes" 2>/dev/null || return 0
	listed=$("$DATE" +%s) || return 0
	is_seconds "$listed" || return 0
	# 0640 as written, as the steady check writes it; on a Mac a new file takes its folder's group (admin).
	(umask 027 && merge_processes "$listed" <"$WORK/processes" >"$CAPTURE/processes.new") &&
		mv -f "$CAPTURE/processes.new" "$CAPTURE/processes"
}

# Prints processes with a ps listing (standard input) read at LISTED merged in.
merge_processes() { # LISTED
	awk -v now="$NOW" -v listed="$1" -v most="$PROCESS_LINES" -v per_path="$PROCESS_ENDED_PER_PATH" \
		-v width="$PROCESS_PATH_LIMIT" -v slack="$PROCESS_START_SLACK" '
		# [[d-]hh:]mm:ss as seconds.
		function seconds(elapsed,   days, part, n, i, total) {
			days = 0
			if (index(elapsed, "-")) {
				days = substr(elapsed, 1, index(elapsed, "-") - 1)
				elapsed = substr(elapsed, index(elapsed, "-") + 1)
			}
			n = split(elapsed, part, ":")
			total = 0
			for (i = 1; i <= n; i++) total = total * 60 + part[i]
			return days * 86400 + total
		}
		function add(p, began, name, ended) {
			count++
			pid[count] = p
			start[count] = began
			path[count] = name
			stop[count] = ended
			latest[p "\t" name] = count
		}
		# The record so far: lines of another form (an older one, whose starts are unknown) are left out.
		FILENAME == ARGV[1] {
			if (split($0, field, "\t") != 4 || field[1] !~ /^[0-9]+$/ || field[2] !~ /^[0-9]+$/) next
			if (field[3] !~ /^[0-9]+$/ || field[4] == "") next
			add(field[2] + 0, field[1] + 0, field[4], field[3] + 0)
			next
		}
		match($0, /^ *[0-9]+ +([0-9]+-)?([0-9]+:)?[0-9]+:[0-9]+ +/) {
			name = substr($0, RLENGTH + 1)
			gsub(/[^ -~]/, "?", name)
			name = substr(name, 1, width)
			began = listed - seconds($2)
			if (name == "" || began < 0) next
			p = $1 + 0
			seen[p]++
			seen_start[p] = began
			seen_path[p] = name
			order[++listing] = p
		}
		END {
			for (i = 1; i <= listing; i++) {
				p = order[i]
				# Listed twice: neither line can be told true, so neither names anything.
				if (seen[p] != 1) continue
				j = latest[p "\t" seen_path[p]]
				if (j && seen_start[p] - start[j] <= slack && start[j] - seen_start[p] <= slack) {
					if (seen_start[p] < start[j]) start[j] = seen_start[p]
				} else {
					add(p, seen_start[p], seen_path[p], 0)
					j = count
				}
				running[j] = 1
			}
			# A listing with nothing in it (ps failing quietly) ends no process.
			for (i = 1; i <= count; i++) {
				if (i in running) stop[i] = 0
				else if (stop[i] == 0 && listing) stop[i] = now
			}
			kept = 0
			for (i = count; i >= 1; i--) if (stop[i] == 0 && kept < most) { keep[i] = 1; kept++ }
			for (i = count; i >= 1; i--) {
				if (stop[i] == 0 || ++ended[path[i]] > per_path || kept >= most) continue
				keep[i] = 1
				kept++
			}
			for (i = count; i >= 1; i--) {
				if (!keep[i]) dropped[pid[i]] = 1
				else if (pid[i] in dropped) keep[i] = 0
			}
			for (i = 1; i <= count; i++) if (keep[i]) print start[i] "\t" pid[i] "\t" stop[i] "\t" path[i]
		}
	' "$CAPTURE/processes" -
}

# When the record's phase changed: "TIME PHASE BOOT_TIME" lines in phases. boot: before the first login of
# this boot (the console is root's, at the login window); then vpn-up while a tunnel is let through
# ($TUNNELS), else vpn-down.
PHASE_NOW=""
note_phase() {
	[ -d "$CAPTURE" ] || return 0
	read_boot_time
	last_phase=""
	last_boot=""
	if [ -f "$CAPTURE/phases" ]; then
		read -r _ last_phase last_boot <<EOF
$(tail -n 1 "$CAPTURE/phases")
EOF
	fi
	console=$("$STAT" -f %Su /dev/console 2>/dev/null) || console=""
	phase=boot
	if [ "$last_boot" = "$BOOT_TIME" ] && [ "$last_phase" != boot ]; then phase=vpn-down; fi
	if [ -n "$console" ] && [ "$console" != root ]; then phase=vpn-down; fi
	if [ "$phase" != boot ] && [ -n "$TUNNELS" ]; then phase=vpn-up; fi
	if [ "$phase" != "$last_phase" ] || [ "$BOOT_TIME" != "$last_boot" ]; then
		if printf '%s %s %s\n' "$NOW" "$phase" "${BOOT_TIME:-0}" >>"$CAPTURE/phases"; then
			(umask 027 && tail -n 5000 "$CAPTURE/phases" >"$CAPTURE/phases.new") && mv -f "$CAPTURE/phases.new" "$CAPTURE/phases"
		else
			phase=$last_phase
		fi
	fi
	PHASE_NOW=$phase
}

# --- The steady check: pf judged as refresh does, the network compared with its last reading, no work folder

# What configd and IPConfiguration rewrite on a change (DNS, settings, a DHCP lease: another server or network), and
# /etc/hosts, which holds the VPN servers' names (58-names.sh): whatever rewrites it has a full check put them back.
STEADY_SIGNALS="/private/var/run/resolv.conf /Library/Preferences/SystemConfiguration /private/var/db/dhcpclient/leases /etc/hosts"

# The interfaces and routes the steady check read (yes when both were), which a full check that follows reads as its own.
STEADY_READ=no
STEADY_IFCONFIG=""
STEADY_ROUTES=""

# Kept by a full check that found all in force, dated when it BEGAN; not while the Internet goes by a tunnel not
# let through: what proves a VPN (a service connected, its socket) is read by full checks.
remember_steady() { # BEGAN
	anchor="$WORK/ours"
	if [ "$reload" = yes ]; then anchor="$WORK/loaded"; fi
	[ ! -s "$WORK/warnings" ] && [ -f "$anchor" ] || return 0
	case $internet_if in utun* | tun* | tap* | ipsec* | ppp*) case " $TUNNELS " in *" $internet_if "*) ;; *) return 0 ;; esac ;; esac
	message="rules in force"
	if [ -n "$NOT_LOCAL" ]; then message="this network calls public addresses local; not passed: $NOT_LOCAL"; fi
	# The phase note_phase kept in this check (none without a record).
	steady_text "$message" "$PHASE_NOW" "$(text_of "$WORK/siblings")" "$(text_of "$anchor")" "$(text_of "$WORK/ifconfig")" "$(text_of "$WORK/routes")" >"$STEADY.new" &&
		touch -r "$1" "$STEADY.new" && mv -f "$STEADY.new" "$STEADY"
}

# FILE's lines, read with builtins.
text_of() { # FILE
	while IFS= read -r line || [ -n "$line" ]; do printf '%s\n' "$line"; done 2>/dev/null <"$1"
}

# MESSAGE, PHASE, SIBLINGS, state.json, our rules without counters, IFCONFIG but AirDrop's links (their state changes
# by itself), ROUTES but expiry, cloned routes and link-layer entries but the routers'.
steady_text() { # MESSAGE PHASE SIBLINGS ANCHOR IFCONFIG ROUTES
	printf '%s\n%s\n' "$1" "$2"
	for word in $3; do printf '%s ' "$word"; done
	echo
	shift
	line=""
	IFS= read -r line <"$STATE_DIR/$KS_FILE_STATE"
	printf '%s\n' "$line"
	listing_rules "$3"
	set -f
	saved_ifs=$IFS
	IFS=$NL
	keep=no
	for line in $4; do
		case $line in
		[[:space:]]*) ;;
		awdl*:* | llw*:*) keep=no ;;
		*) keep=yes ;;
		esac
		[ "$keep" = no ] || printf '%s\n' "$line"
	done
	family=""
	routers=" "
	for line in $5; do
		IFS=" "
		# shellcheck disable=SC2086 # its words
		set -- $line
		IFS=$NL
		case $line in
		Internet: | Internet6:) family=$line ;;
		Destination*) ;;
		*)
			[ "$#" -ge 3 ] || continue
			case $family:$3 in :* | *W* | *L*) ;; *) printf '%s %s %s %s\n' "$1" "$2" "$3" "${4:-}" ;; esac
			[ "$family$1" != Internet:default ] || routers="$routers$2 "
			case $family$3$routers in Internet:*L*" $1 "*) printf 'arp %s %s %s\n' "$1" "$2" "${4:-}" ;; esac
			;;
		esac
	done
	IFS=$saved_ifs
	set +f
}

# True when nothing changed since the last full check; watchdog.json then says so.
# shellcheck disable=SC3013 # -nt: bash 3.2 (macOS's sh) and dash have it
steady_check() {
	[ "$BOOT_RULES" = kept ] && [ ! -d "$LOCK_DIR" ] && [ -f "$STEADY" ] || return 1
	{ IFS= read -r message && IFS= read -r phase && IFS= read -r siblings; } <"$STEADY" || return 1
	# Before the first login the phase changes by itself.
	[ "$phase" != boot ] || [ ! -d "$CAPTURE" ] || return 1
	for signal in $STEADY_SIGNALS; do
		for file in "$SYSROOT$signal" "$SYSROOT$signal"/*; do
			# The same second counts as newer: some shells tell seconds only.
			[ ! -e "$file" ] || [ "$STEADY" -nt "$file" ] || return 1
		done
	done
	kept=""
	while IFS= read -r line; do kept="$kept$line$NL"; done <"$STEADY"
	STEADY_IFCONFIG=$("$IFCONFIG" -a 2>/dev/null) && STEADY_ROUTES=$("$NETSTAT" -rn 2>/dev/null) && STEADY_READ=yes || return 1
	[ "$kept" = "$(steady_text "$message" "$phase" "$siblings" "$BOOT_LISTING" "$STEADY_IFCONFIG" "$STEADY_ROUTES")$NL" ] || return 1
	recorded=$(state_values list:tunnels number:nextChangeAt number:captivePortalUntil string:attachment)
	ends=${recorded#*"$NL"}
	steady_pf "${ends##*"$NL"}" "${recorded%%"$NL"*}" || return 1
	listing=""
	if [ -d "$CAPTURE" ]; then
		[ -n "$(capture_pid)" ] || return 1
		listing=$("$PS" -axww -o pid=,etime=,comm= 2>/dev/null) || return 1
	fi
	# After ps: starts are counted back from it.
	NOW=$("$DATE" +%s) && is_seconds "$NOW" || return 1
	for end in ${ends%"$NL"*}; do [ "$NOW" -lt "$end" ] || return 1; done
	# 0640 as note_processes leaves it; on a Mac a new file takes its folder's group (admin).
	if [ -n "$listing" ] && ! same_processes "$listing"; then
		[ -f "$CAPTURE/processes" ] || : >"$CAPTURE/processes"
		(umask 027 && printf '%s\n' "$listing" | merge_processes "$NOW" >"$CAPTURE/processes.new") &&
			mv -f "$CAPTURE/processes.new" "$CAPTURE/processes" || return 1
		printf '%s\n%s' "$STARTED" "$LISTED" >"$CAPTURE/$STEADY_LISTED" || :
	fi
	steady_status "$message"
}

# Whether pf is on, reaches ours as ATTACHMENT says (com.apple: its children $siblings), skips only lo0 and TUNNELS,
# runs no translation pass off lo0: what attach, skipped_interfaces, set_translation_passes_aside let be.
steady_pf() { # ATTACHMENT TUNNELS
	attached=$1
	case $1 in com.apple) first='anchor "com.apple/*" all' ;; main) first="anchor \"$KS_ANCHOR\" all" ;; *) return 1 ;; esac
	pf_text=$("$PFCTL" -s all 2>/dev/null) || return 1
	case "$NL$pf_text" in *"${NL}Status: Enabled"*) ;; *) return 1 ;; esac
	filter=${pf_text#*"FILTER RULES:$NL"}
	while case $filter in scrub*"$NL"*) ;; *) false ;; esac do filter=${filter#*"$NL"}; done
	case "$filter$NL" in "$first$NL"*) ;; *) return 1 ;; esac
	nat=""
	case "$pf_text" in "TRANSLATION RULES:$NL"*) nat=${pf_text#*"$NL"} ;; esac
	calls=""
	steady_nat "" "${nat%%"$NL$NL"*}" || return 1
	listing=$("$PFCTL" -s Interfaces -v 2>/dev/null) || return 1
	previous=""
	for line in $listing; do
		case " lo0 $2 " in *" $previous "*) ;; *) [ "$line" != "(skip)" ] || return 1 ;; esac
		previous=$line
	done
	[ "$attached" = com.apple ] || [ -n "$calls" ] || return 0
	anchors=$("$PFCTL" -s Anchors -v 2>/dev/null) || return 1
	children=""
	for ruleset in $anchors; do
		case $ruleset in com.apple/*/*) ;; com.apple/*) children="$children$ruleset " ;; esac
		[ "$ruleset" != "$KS_ANCHOR" ] || continue
		parent=${ruleset%/*}
		[ "$parent" != "$ruleset" ] || parent=""
		case "$NL$calls" in *"$NL$ruleset$NL"* | *"$NL${parent:+$parent/}*$NL"*) ;; *) continue ;; esac
		steady_nat "$ruleset" "$("$PFCTL" -a "$ruleset" -s nat 2>/dev/null)" || return 1
	done
	# No child of com.apple came since sibling_first: one may run before ours.
	[ "$attached" != com.apple ] || [ "$children" = "$siblings" ]
}

# False on a translation rule with pass off lo0 in NAT (RULESET's); adds the anchors it calls to $calls.
steady_nat() { # RULESET NAT
	set -f
	saved_ifs=$IFS
	IFS=$NL
	line=""
	for line in $2; do
		IFS=" "
		# shellcheck disable=SC2086 # its words
		set -- "$1" $line
		IFS=$NL
		case ${2:-}:${3:-}:$line in
		nat:pass:* | rdr:pass:* | binat:pass:*) case $line in *" on lo0 "*) ;; *) break ;; esac ;;
		nat-anchor:* | rdr-anchor:* | binat-anchor:*)
			name=${3#\"}
			name=${name%\"}
			case $name in /*) name=${name#/} ;; *) name=${1:+$1/}$name ;; esac
			calls="$calls$name$NL"
			;;
		esac
		line=""
	done
	IFS=$saved_ifs
	set +f
	[ -z "$line" ]
}

# watchdog.json as the full check wrote it, with this check's time, boot time, MESSAGE and counters; not while an
# action runs. The boot time is read anew: macOS moves kern.boottime with the clock, and Status tells this boot by it.
steady_status() { # MESSAGE
	file="$STATE_DIR/$KS_FILE_WATCHDOG_STATUS"
	IFS= read -r old <"$file" || return 1
	case $old in *'"checkedAt":'*',"bootTime":'*',"attachment":'*',"counters":'*',"notLocal":'*) ;; *) return 1 ;; esac
	BOOT_TIME=""
	read_boot_time
	[ -n "$BOOT_TIME" ] || return 1
	SERVER_ADDRESSES=$(state_values list:serverAddresses)
	rest=${old#*,\"attachment\":}
	new="${old%%\"checkedAt\":*}\"checkedAt\":$NOW,\"bootTime\":$BOOT_TIME,\"result\":\"ok\",\"message\":\"$(json_text "$1")\",\"pfEnabled\":true,\"attachment\":${rest%%,\"counters\":*},\"counters\":$(counters_of "$BOOT_LISTING"),\"notLocal\":${rest#*,\"notLocal\":}"
	[ ! -d "$LOCK_DIR" ] && [ -f "$STATE_DIR/$KS_FILE_STATE" ] || return 1
	(umask 022 && printf '%s\n' "$new" >"$file.new") && mv -f "$file.new" "$file"
}

# The packets counted in LISTING (pfctl -v -sr of our anchor, each rule then "[ Evaluations: N Packets: N ...") as
# JSON since the rules were loaded: refused going out, coming in, DNS outside the tunnel, to $SERVER_ADDRESSES.
counters_of() { # LISTING
	listing=$1
	since=""
	if [ -f "$STATE_DIR/$KS_FILE_LOADED_AT" ]; then IFS= read -r since <"$STATE_DIR/$KS_FILE_LOADED_AT"; fi
	is_seconds "${since:-x}" || since=null
	servers=" $SERVER_ADDRESSES "
	set -f
	saved_ifs=$IFS
	IFS=$NL
	kind=""
	set -- 0 0 0 0
	for line in $listing; do
		case $line in
		*"[ Evaluations:"*)
			packets=${line#*Packets:}
			packets=${packets#"${packets%%[! ]*}"}
			packets=${packets%%[!0-9]*}
			case $kind in
			out) set -- $(($1 + packets)) "$2" "$3" "$4" ;;
			in) set -- "$1" $(($2 + packets)) "$3" "$4" ;;
			dns) set -- "$1" "$2" $(($3 + packets)) "$4" ;;
			server) set -- "$1" "$2" "$3" $(($4 + packets)) ;;
			esac
			kind=""
			;;
		[[:space:]]*) ;;
		"block"*" out "*) kind=out ;;
		"block"*" in "*) kind=in ;;
		"pass"*" out "*)
			kind=""
			previous=""
			IFS=" "
			for word in $line; do
				case $previous:$servers in to:*" $word "*) kind=server ;; esac
				previous=$word
			done
			IFS=$NL
			;;
		*) kind="" ;;
		esac
		rest=" $line "
		while [ "$kind" = out ] && case $rest in *" port "*) ;; *) false ;; esac do
			rest=${rest#*" port "}
			case ${rest#= } in 53" "* | 853" "* | domain" "* | domain-s" "* | "{ 53, 853 }"*) kind=dns ;; esac
		done
	done
	IFS=$saved_ifs
	set +f
	printf '{"since":%s,"blockedOut":%s,"blockedIn":%s,"dnsRefused":%s,"toVpnServers":%s}\n' "$since" "$1" "$2" "$3" "$4"
}

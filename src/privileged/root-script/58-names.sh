# --- VPN servers named by host name, answered on the Mac: while the kill switch is on, /etc/hosts holds a block of
# ours with each such server's recorded addresses, so a VPN app that looks its server up again at reconnect (after a
# drop, after a restart) gets its answer without a query. DNS outside the tunnel stays blocked, no answer from the
# network is ever used, and pf is unchanged: the addresses are the VPN servers the rules pass already. mDNSResponder
# reads /etc/hosts first and follows its changes; it is the one way macOS gives to answer a name without a resolver.

HOSTS_BEGIN="# BEGIN $KS_ID: VPN servers the kill switch answers for while it is on (Disable removes this block)"
HOSTS_END="# END $KS_ID"

# A host name as settings.ts isHostName takes it, in lower case: labels of letters, digits and inner hyphens up to 63
# characters, 253 in all, not all digits and dots (an address), never the Mac's own names.
is_server_name() {
	case $1 in '' | *[!a-z0-9.-]* | .* | *. | *..* | -* | *- | *.-* | *-.*) return 1 ;; esac
	case $1 in *[a-z-]*) ;; *) return 1 ;; esac
	case $1 in localhost | *.localhost | broadcasthost) return 1 ;; esac
	[ "${#1}" -le 253 ] || return 1
	rest=$1
	while [ -n "$rest" ]; do
		label=${rest%%.*}
		[ "${#label}" -le 63 ] || return 1
		case $rest in *.*) rest=${rest#*.} ;; *) rest="" ;; esac
	done
}

# An address as /etc/hosts should hold it, in its one canonical text: IPv4 without leading zeros, IPv6 in lower case,
# zeros shortened as RFC 5952 says (address/ip.ts canonicalAddress writes the same).
is_canonical_address() {
	case $1 in '' | *[!0-9a-f.:]*) return 1 ;; esac
	awk -v a="$1" "$AWK_LIB"'
		function canonical6(x,   g, i, l, best, length_of, out) {
			for (i = 0; i < 8; i++) { g[i] = substr(x, i * 4 + 1, 4); sub(/^0+/, "", g[i]); if (g[i] == "") g[i] = "0" }
			best = -1; length_of = 1
			for (i = 0; i < 8; i++) if (g[i] == "0") {
				for (l = 0; i + l < 8 && g[i + l] == "0"; l++) ;
				if (l > length_of) { best = i; length_of = l }
				i += l - 1
			}
			out = ""
			for (i = 0; i < 8; i++) {
				if (i == best) { out = out "::"; i += length_of - 1; continue }
				out = out (out == "" || out ~ /:$/ ? "" : ":") g[i]
			}
			return out
		}
		BEGIN {
			if (a ~ /:/) exit !(v6(a) != "" && canonical6(v6(a)) == a)
			if (v4(a) < 0) exit 1
			split(a, p, ".")
			for (i = 1; i <= 4; i++) if (p[i] !~ /^(0|[1-9][0-9]*)$/) exit 1
		}
	'
}

# Every pinned address must be a VPN server address the rules pass: the block never sends a name anywhere else.
check_pinned() {
	for pair in $PINNED; do
		case " $SERVER_ADDRESSES " in *" ${pair#*=} "*) ;; *) fail "$KS_EXIT_BAD_ARGUMENTS" "--server-name: ${pair#*=} (for ${pair%%=*}) is not one of the VPN server addresses (--server-address)" ;; esac
	done
}

# /etc/hosts with our block naming PINNED ("NAME=ADDRESS" words), or without one when PINNED is empty; every other line
# kept as it is (a last line without its newline gets one when a block follows it). Replaced at once by a rename in
# its folder, root's and 0644 as macOS ships it, and only when it changes; not when another program changed it
# meanwhile. A link or anything but a file is another program's (a hosts manager's): not followed, not replaced
# (HOSTS_LEFT=yes says so).
write_hosts_block() {
	hosts="$SYSROOT/etc/hosts"
	HOSTS_LEFT=no
	if [ -L "$hosts" ] || { [ -e "$hosts" ] && [ ! -f "$hosts" ]; }; then
		[ -z "$PINNED" ] || HOSTS_LEFT=yes
		return 0
	fi
	if [ -z "$PINNED" ] && ! grep -qxF -e "$HOSTS_BEGIN" -e "$HOSTS_END" "$hosts" 2>/dev/null; then return 0; fi
	: >"$WORK/hosts.was"
	if [ -f "$hosts" ]; then cp "$hosts" "$WORK/hosts.was" || return 1; fi
	{
		# Our lines: a block from its first line to its last; a marker line alone, without the lines after it.
		awk -v begin="$HOSTS_BEGIN" -v end="$HOSTS_END" '
			{ line[NR] = $0 }
			END {
				for (i = 1; i <= NR; i++) {
					if (line[i] == begin) {
						for (j = i + 1; j <= NR && line[j] != end && line[j] != begin; j++) ;
						if (j <= NR && line[j] == end) i = j
						continue
					}
					if (line[i] != end) print line[i]
				}
			}
		' "$WORK/hosts.was" || return 1
		if [ -n "$PINNED" ]; then
			printf '%s\n' "$HOSTS_BEGIN"
			for pair in $PINNED; do printf '%s\t%s\n' "${pair#*=}" "${pair%%=*}"; done
			printf '%s\n' "$HOSTS_END"
		fi
	} >"$WORK/hosts.new" || return 1
	! cmp -s "$WORK/hosts.new" "$WORK/hosts.was" || return 0
	rm -f "$hosts.$KS_ID.new"
	cp "$WORK/hosts.new" "$hosts.$KS_ID.new" && chmod 0644 "$hosts.$KS_ID.new" || return 1
	if [ -f "$hosts" ] && ! cmp -s "$hosts" "$WORK/hosts.was"; then
		rm -f "$hosts.$KS_ID.new"
		return 1
	fi
	mv -f "$hosts.$KS_ID.new" "$hosts"
}

# Enable and Apply: the block as given, else why the VPN app cannot find its server by name while blocking. (The
# watchdog says nothing of a file left to another program: Enable did, and a warning at every check would make each
# one a full check.)
write_server_names() {
	if ! write_hosts_block; then
		warn "The VPN server names could not be written to $SYSROOT/etc/hosts: a VPN app that looks its server up by name cannot reconnect while the kill switch blocks."
	elif [ "$HOSTS_LEFT" = yes ]; then
		warn "VPN server names are not answered on this Mac: $SYSROOT/etc/hosts is not a plain file, so the kill switch leaves it as it is."
	fi
}

# Adds NAME=ADDRESS to PINNED when both are as /etc/hosts may hold them.
pin() { # NAME ADDRESS
	is_server_name "$1" && is_canonical_address "$2" || return 1
	PINNED="$PINNED${PINNED:+ }$1=$2"
}

# The watchdog's check: the block as recorded, put back when something (an update, another program) took it out.
keep_hosts_block() {
	PINNED=""
	for pair in $(state_values list:pinnedNames); do pin "${pair%%=*}" "${pair#*=}" || :; done
	write_hosts_block || warn "The VPN server names could not be written to $SYSROOT/etc/hosts; a VPN app that looks its server up by name cannot reconnect while the kill switch blocks."
}

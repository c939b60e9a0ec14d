# --- pf's states: cutting the connections that no pass allows any more

# States outlive rules: a connection opened before the kill switch would keep flowing. The states are
# floating (not bound to an interface), so they are picked by address: from each physical address to
# everything but the VPN servers, which keeps the VPN's own connection alive. The caller lists the
# pairs; pairs that match no state listed now are skipped, since each pfctl call takes time and most of
# the address space has no connection. Any address this cannot read counts as a match.
select_kills() {
	awk "$AWK_LIB"'
		FILENAME == ARGV[1] {
			for (i = 1; i <= NF; i++) {
				token = $i
				if (token ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(:[0-9]+)?$/) sub(/:[0-9]+$/, "", token)
				else if (token ~ /^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(%[A-Za-z0-9]+)?(\[[0-9]+\])?$/) sub(/\[[0-9]+\]$/, "", token)
				else continue
				addresses[FNR] = addresses[FNR] " " token
			}
			next
		}
		{
			for (line in addresses) {
				n = split(substr(addresses[line], 2), list, " ")
				for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
					if (i != j && within(list[i], $1) != 0 && within(list[j], $2) != 0) { print; next }
			}
		}
	' "$1" "$2"
}

kill_states() { # FILE of "SRC DST" lines
	KILLED=0
	[ -s "$1" ] || return 0
	if pf -s states >"$WORK/states"; then
		select_kills "$WORK/states" "$1" >"$WORK/kills.now" || cp "$1" "$WORK/kills.now"
	else
		cp "$1" "$WORK/kills.now"
	fi
	while read -r src dst; do
		[ -n "$src" ] || continue
		if pf -k "$src" -k "$dst"; then
			n=$(sed -n 's/^killed \([0-9][0-9]*\) states.*/\1/p' "$WORK/pf.err" | sed -n 1p)
			KILLED=$((KILLED + ${n:-0}))
		else
			warn "pf could not clear the connections from $src to $dst: $(pf_message)"
		fi
	done <"$WORK/kills.now"
}

# Cuts what the rules just loaded may no longer pass: every state outside the tunnels let through now
# ($TUNNELS), the VPN servers' connections, loopback and link-local IPv6 aside. Computed from the states
# and addresses of now, so it also catches what an old address or a closed window left. A flow the rules
# still pass makes a new state with its next packet (every pass is `flags any` or stateless).
withdraw_states() {
	pf -s states >"$WORK/states" || return 0
	[ -s "$WORK/ifconfig" ] || read_interfaces
	# pfctl -s states: "IF PROTO LOCAL ARROW REMOTE [ARROW REMOTE] STATE", IPv4 as a:port, IPv6 as a[port].
	awk -v tunnels="$TUNNELS" -v servers="$SERVER_ADDRESSES" '
		BEGIN {
			n = split(tunnels, list, " "); for (i = 1; i <= n; i++) tunnel[list[i]] = 1
			n = split(servers, list, " "); for (i = 1; i <= n; i++) server[list[i]] = 1
		}
		function host(token) {
			if (token ~ /\[/) { sub(/\[.*/, "", token); return token }
			if (token ~ /^[0-9.]+:[0-9]+$/) sub(/:[0-9]+$/, "", token)
			return token
		}
		FILENAME == ARGV[1] {
			if ($0 ~ /^[a-z]/) { name = $1; sub(/:$/, "", name); next }
			if (tunnel[name] && ($1 == "inet" || $1 == "inet6")) { a = $2; sub(/%.*/, "", a); ours[a] = 1 }
			next
		}
		$4 == "->" || $4 == "<-" {
			local = host($3)
			remote = host(($6 == "->" || $6 == "<-") ? $7 : $5)
			if (ours[local] || server[remote] || server[local]) next
			if (local ~ /^(127\.|::1$|fe[89ab][0-9a-f]:)/ || remote ~ /^(127\.|::1$)/) next
			# xnu matches -k SRC -k DST against the Mac side of an outbound state, the far side of an inbound one.
			print ($4 == "->") ? local " " remote : remote " " local
		}
	' "$WORK/ifconfig" "$WORK/states" | sort -u >"$WORK/withdrawn"
	while read -r src dst; do
		if pf -k "$src" -k "$dst"; then
			n=$(sed -n 's/^killed \([0-9][0-9]*\) states.*/\1/p' "$WORK/pf.err" | sed -n 1p)
			KILLED=$((KILLED + ${n:-0}))
		fi
	done <"$WORK/withdrawn"
}

# --- pf's states: cutting the connections that no pass allows any more

# States outlive rules: a connection opened before the kill switch would keep flowing. The states are
# floating (not bound to an interface), so they are picked by address: from each physical address to
# everything but the VPN servers, which keeps the VPN's own connection alive. The caller lists the
# pairs; pairs that match no state listed now are skipped, since each pfctl call takes time and most of
# the address space has no connection. Any address this cannot read counts as a match.
select_kills() {
	awk '
		function v4(a,   p) {
			if (split(a, p, ".") != 4) return -1
			return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4]
		}
		function pad(g) {
			if (g == "" || length(g) > 4) return "?"
			while (length(g) < 4) g = "0" g
			return g
		}
		function v6(a,   halves, n, head, tail, nh, nt, i, out) {
			sub(/%.*/, "", a)
			if (a ~ /[^0-9A-Fa-f:]/) return ""
			n = split(a, halves, "::")
			if (n > 2) return ""
			nh = halves[1] == "" ? 0 : split(halves[1], head, ":")
			nt = (n == 2 && halves[2] != "") ? split(halves[2], tail, ":") : 0
			if ((n == 1 && nh != 8) || (n == 2 && nh + nt > 7)) return ""
			out = ""
			for (i = 1; i <= nh; i++) out = out pad(head[i])
			for (i = nh + nt; n == 2 && i < 8; i++) out = out "0000"
			for (i = 1; i <= nt; i++) out = out pad(tail[i])
			return out ~ /\?/ ? "" : tolower(out)
		}
		function within(a, spec,   parts, bits, x, y, digits, rest, cx, cy) {
			if (split(spec, parts, "/") == 1) parts[2] = spec ~ /:/ ? 128 : 32
			bits = parts[2]
			if ((a ~ /:/) != (parts[1] ~ /:/)) return 0
			if (a !~ /:/) {
				x = v4(a); y = v4(parts[1])
				if (x < 0 || y < 0) return 1
				return int(x / 2 ^ (32 - bits)) == int(y / 2 ^ (32 - bits))
			}
			x = v6(a); y = v6(parts[1])
			if (x == "" || y == "") return 1
			digits = int(bits / 4)
			if (substr(x, 1, digits) != substr(y, 1, digits)) return 0
			rest = bits % 4
			if (rest == 0) return 1
			cx = index("0123456789abcdef", substr(x, digits + 1, 1)) - 1
			cy = index("0123456789abcdef", substr(y, digits + 1, 1)) - 1
			return int(cx / 2 ^ (4 - rest)) == int(cy / 2 ^ (4 - rest))
		}
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
					if (i != j && within(list[i], $1) && within(list[j], $2)) { print; next }
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

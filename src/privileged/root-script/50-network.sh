# --- The network, read the way src/network reads it (same fixtures, same answers): the tunnels to let
# through, the gateway, its MAC and subnet, and the network identity that picks a rule template

# `ifconfig -a` once per run: tunnels and the gateway's subnet both come from it.
read_interfaces() {
	"$IFCONFIG" -a >"$WORK/ifconfig" 2>/dev/null || : >"$WORK/ifconfig"
}

# The tunnels to let through (see the head of this file): the tunnel carrying the default route, then the
# named ones of the VPN tunnels that are up (utun/tun/tap/ipsec/ppp with an IPv4 or a non-link-local IPv6
# address; macOS's own utuns carry only link-local ones). Any other tunnel is some app's, not the VPN.
# With "*" for INTERNET_INTERFACE: every VPN tunnel that is up, in ifconfig order (for inspect).
vpn_tunnels() { # INTERNET_INTERFACE TRUSTED_NAMES
	awk -v internet="$1" -v named="$2" '
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+</ {
			name = $1; sub(/:$/, "", name); sub(/^[ \t]+/, "", name)
			tunnel = name ~ /^(utun|tun|tap|ipsec|ppp)[0-9]+$/
			next
		}
		!tunnel || up[name] { next }
		$1 == "inet" && $2 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ { up[name] = 1; listed[++m] = name; next }
		$1 == "inet6" {
			address = tolower($2); sub(/%.*/, "", address)
			if (address ~ /:/ && address !~ /[^0-9a-f:.]/ && address !~ /^fe[89ab][0-9a-f]:/) { up[name] = 1; listed[++m] = name }
		}
		END {
			if (internet == "*") for (i = 1; i <= m; i++) order[++n] = listed[i]
			else if (internet ~ /^(utun|tun|tap|ipsec|ppp)[0-9]+$/) { order[++n] = internet; seen[internet] = 1 }
			count = split(named, names, " ")
			for (i = 1; i <= count; i++) if (up[names[i]] && !seen[names[i]]) { order[++n] = names[i]; seen[names[i]] = 1 }
			for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""), order[i]
			if (n) printf "\n"
		}
	' "$WORK/ifconfig"
}

# The physical network's IPv4 router as "ADDRESS INTERFACE", looked up as network/routing.ts does:
# the kernel's route to the Internet when it leaves through a physical interface, else the table's
# default routes on a physical interface (unscoped first: a full-tunnel VPN leaves en0's scoped), else
# `route -n get default`.
# `route -n get TARGET` as "GATEWAY INTERFACE INTERFACE": the physical gateway and its interface, or
# "- -", then the interface the route leaves by (a tunnel for a full-tunnel VPN), or "-".
route_get_gateway() { # TARGET
	"$ROUTE" -n get "$1" 2>/dev/null | awk '
		function ipv4(a,   p, i) {
			if (split(a, p, ".") != 4) return 0
			for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return 0
			return 1
		}
		$1 == "gateway:" { gateway = $2 }
		$1 == "interface:" { ifname = $2 }
		END {
			physical = ipv4(gateway) && ifname ~ /^(en|bridge|ap|vmnet)[0-9]+$/
			print (physical ? gateway " " ifname : "- -"), (ifname ~ /^[a-z]+[0-9]+$/ ? ifname : "-")
		}
	'
}

netstat_gateway() {
	"$NETSTAT" -rn 2>/dev/null | awk '
		function ipv4(a,   p, i) {
			if (split(a, p, ".") != 4) return 0
			for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return 0
			return 1
		}
		$1 == "Internet:" { family = 4; column = 0; next }
		$1 == "Internet6:" { family = 6; column = 0; next }
		$1 == "Destination" { column = 0; for (i = 4; i <= NF; i++) if ($i == "Netif") column = i; next }
		family == 6 || $1 != "default" || NF < 3 || $3 !~ /^[UGHRDMmdCXLS123WcBbIiYrg]+$/ || $3 ~ /[RB]/ || !ipv4($2) { next }
		{
			ifname = ""
			if (column) ifname = $column
			else for (i = 4; i <= NF; i++) if ($i ~ /^[a-zA-Z][a-zA-Z0-9]*[0-9]$/) { ifname = $i; break }
			if (ifname !~ /^(en|bridge|ap|vmnet)[0-9]+$/) next
			if ($3 ~ /I/) { if (scoped == "") scoped = $2 " " ifname }
			else if (unscoped == "") unscoped = $2 " " ifname
		}
		END { if (unscoped != "") print unscoped; else if (scoped != "") print scoped }
	'
}

# Sets GATEWAY ("ADDRESS INTERFACE" or empty) and INTERNET_IF (the interface the kernel sends 1.1.1.1
# out of, or empty). The lookups set variables rather than print, so no subshell wraps another: each
# one started costs time.
physical_gateway() {
	read -r gateway_address gateway_interface INTERNET_IF <<EOF
$(route_get_gateway 1.1.1.1)
EOF
	GATEWAY=""
	[ "$gateway_address" = - ] || GATEWAY="$gateway_address $gateway_interface"
	[ "${INTERNET_IF:--}" != - ] || INTERNET_IF=""
	[ -n "$GATEWAY" ] || GATEWAY=$(netstat_gateway)
	# Without a route to 1.1.1.1, the default route tells both (an IKEv2 default on ipsec0 has no gateway).
	if [ -z "$GATEWAY" ] || [ -z "$INTERNET_IF" ]; then
		read -r gateway_address gateway_interface default_interface <<EOF
$(route_get_gateway default)
EOF
		if [ -z "$GATEWAY" ] && [ "$gateway_address" != - ]; then GATEWAY="$gateway_address $gateway_interface"; fi
		if [ -z "$INTERNET_IF" ] && [ "$default_interface" != - ]; then INTERNET_IF=$default_interface; fi
	fi
}

# awk: normal(TEXT) is the MAC in TEXT in normal form (network/mac-address.ts), or "" when TEXT is none.
AWK_NORMAL_MAC='
	function normal(text,   o, n, i, out) {
		n = split(tolower(text), o, ":")
		if (n != 6) return ""
		out = ""
		for (i = 1; i <= 6; i++) {
			if (o[i] !~ /^[0-9a-f][0-9a-f]?$/) return ""
			out = out (i > 1 ? ":" : "") (length(o[i]) == 1 ? "0" : "") o[i]
		}
		return out
	}
'

# The router's MAC from the ARP table, else from its row in the routing table; lower case, two digits
# per octet. Prints it (nothing when unknown).
gateway_mac() { # ADDRESS INTERFACE
	mac=$("$ARP" -an 2>/dev/null | awk -v gw="($1)" -v ifname="$2" "$AWK_NORMAL_MAC"'
		$2 == gw && $3 == "at" && $5 == "on" && $6 == ifname && normal($4) != "" { print normal($4); exit }
	')
	if [ -n "$mac" ]; then
		printf '%s\n' "$mac"
	else
		"$NETSTAT" -rn 2>/dev/null | awk -v gw="$1" -v ifname="$2" "$AWK_NORMAL_MAC"'
			$1 == "Internet6:" { done = 1 }
			$1 == "Destination" { column = 0; for (i = 4; i <= NF; i++) if ($i == "Netif") column = i; next }
			done || NF < 3 { next }
			{
				destination = $1; sub(/\/32$/, "", destination)
				ifname_here = ""
				if (column) ifname_here = $column
				else for (i = 4; i <= NF; i++) if ($i ~ /^[a-zA-Z][a-zA-Z0-9]*[0-9]$/) { ifname_here = $i; break }
				if (destination == gw && ifname_here == ifname && normal($2) != "") { print normal($2); exit }
			}
		'
	fi
}

# The subnet of the router's interface: its first IPv4 address whose address/netmask holds the router.
gateway_subnet() { # ADDRESS INTERFACE
	awk -v gw="$1" -v ifname="$2" '
		function v4(a,   p, i) {
			if (split(a, p, ".") != 4) return -1
			for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return -1
			return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4]
		}
		function prefix(mask,   hex, i, c, value, bits, seen0) {
			# No {8}: interval expressions are missing from some awks.
			if (length(mask) != 10 || tolower(mask) !~ /^0x[0-9a-f]+$/) return -1
			hex = tolower(substr(mask, 3)); bits = 0; seen0 = 0
			for (i = 1; i <= 8; i++) {
				value = index("0123456789abcdef", substr(hex, i, 1)) - 1
				for (c = 8; c >= 1; c = c / 2) {
					if (value >= c) { if (seen0) return -1; bits++; value -= c }
					else seen0 = 1
				}
			}
			return bits
		}
		function dotted(n) {
			return int(n / 16777216) "." int(n / 65536) % 256 "." int(n / 256) % 256 "." n % 256
		}
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+</ {
			name = $1; sub(/:$/, "", name)
			if (inside) exit
			inside = name == ifname
			next
		}
		inside && $1 == "inet" {
			mask = ""
			for (i = 3; i < NF; i++) if ($i == "netmask") mask = $(i + 1)
			bits = prefix(mask); address = v4($2); router = v4(gw)
			if (bits < 0 || address < 0 || router < 0) next
			size = 2 ^ (32 - bits)
			if (int(address / size) == int(router / size)) { print dotted(int(address / size) * size) "/" bits; exit }
		}
	' "$WORK/ifconfig"
}

# The identity of the network the Mac is on (network/identity.ts): gw=<ip>,mac=<mac|unknown>,net=<cidr|unknown>.
# Sets IDENTITY (empty without a physical router).
network_identity() {
	IDENTITY=""
	physical_gateway
	[ -n "$GATEWAY" ] || return 0
	gateway_ip=${GATEWAY% *}
	gateway_if=${GATEWAY#* }
	mac=$(gateway_mac "$gateway_ip" "$gateway_if")
	subnet=$(gateway_subnet "$gateway_ip" "$gateway_if")
	IDENTITY="gw=$gateway_ip,mac=${mac:-unknown},net=${subnet:-unknown}"
}

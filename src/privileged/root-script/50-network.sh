# --- The network, read the way src/network reads it (same fixtures, same answers): the gateway, the
# physical links, their networks and DHCP servers, and the bridges pf cannot see past (the tunnels: 52-tunnels.sh)

# `ifconfig -a` once per run: tunnels and the gateway's subnet both come from it.
read_interfaces() {
	if [ "${STEADY_READ:-no}" = yes ]; then
		printf '%s\n' "$STEADY_IFCONFIG" >"$WORK/ifconfig"
		return 0
	fi
	"$IFCONFIG" -a >"$WORK/ifconfig" 2>/dev/null || : >"$WORK/ifconfig"
}

# The physical links, as network/derive.ts finds them: every en/bridge/ap/vmnet interface with an
# address or an active link, one line each, "NAME SUBNET...", its attached networks as attachedSubnets
# prints them (IPv4 up to /31 without a peer, a netmask wider than /16 cut to the /16 around the address,
# then IPv6 /64s; link-local and host-only left out).
physical_links() {
	awk "$AWK_LIB"'
		function flush(   i, line) {
			if (name == "" || !physical || !(addressed || active) || (name in done)) return
			done[name] = 1
			line = name
			for (i = 1; i <= n4; i++) line = line " " nets4[i]
			for (i = 1; i <= n6; i++) line = line " " nets6[i]
			print line
		}
		function after(word,   i) {
			for (i = 3; i < NF; i++) if ($i == word) return $(i + 1)
			return ""
		}
		{ indent = match($0, /[^ \t]/) - 1 }
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+<[^>]*>/ {
			flush()
			name = $1; sub(/:$/, "", name)
			physical = name ~ /^(en|bridge|ap|vmnet)[0-9]+$/
			header = indent; addressed = 0; active = 0; n4 = 0; n6 = 0
			split("", seen)
			next
		}
		# A line no deeper than the headers that is not one ends the block, as in network/ifconfig.ts.
		indent >= 0 && indent <= header { flush(); name = ""; next }
		name == "" { next }
		$1 == "status:" && $2 == "active" { active = 1; next }
		$1 == "inet" && v4($2) >= 0 {
			addressed = 1
			bits = mask_bits(after("netmask")); peer = after("-->")
			if (bits < 0 || bits >= 32 || v4(peer) >= 0) next
			# A netmask is what the network says: wider than /16, only the /16 around the address counts.
			if (bits < 16) bits = 16
			size = 2 ^ (32 - bits)
			net = dotted(int(v4($2) / size) * size) "/" bits
			if (!(net in seen)) { seen[net] = 1; nets4[++n4] = net }
			next
		}
		$1 == "inet6" && v6($2) != "" {
			addressed = 1
			bits = ""
			for (i = 3; i <= NF; i++) if ($i == "prefixlen" || $i == "scopeid" || $i == "-->") {
				if ($i == "prefixlen" && $(i + 1) ~ /^[0-9]+$/ && length($(i + 1)) <= 3) bits = $(i + 1) + 0
				i++
			}
			if (bits != 64 || v6($2) ~ /^fe[89ab]/) next
			net = slash64($2)
			if (!(net in seen)) { seen[net] = 1; nets6[++n6] = net }
		}
		END { flush() }
	' "$WORK/ifconfig"
}

# Bridges that carry a virtual machine past pf, as network/bridges.ts finds them: a bridge hands frames between
# its members without pf, and one joining a physical interface to a member that is not one (a VM's vmenet)
# puts that VM on the link outside the kill switch. Prints one line, each bridge as describeUnfilteredBridge
# says it, joined by "; "; nothing when none.
unfiltered_bridges() {
	[ -s "$WORK/ifconfig" ] || read_interfaces
	awk '
		{ indent = match($0, /[^ \t]/) - 1 }
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+<[^>]*>/ {
			name = $1; sub(/:$/, "", name)
			header = indent
			if (name in known) name = ""
			else { known[name] = 1; order[++n] = name }
			next
		}
		indent >= 0 && indent <= header { name = ""; next }
		name == "" { next }
		$1 == "member:" && name ~ /^bridge[0-9]+$/ && $2 ~ /^[A-Za-z][A-Za-z0-9]*[0-9]$/ && !((name, $2) in joined) {
			joined[name, $2] = 1
			members[name] = members[name] (count[name]++ ? ", " : "") $2
			list[name, count[name]] = $2
		}
		END {
			for (i = 1; i <= n; i++) {
				b = order[i]
				links = ""; physical = 0
				for (j = 1; j <= count[b]; j++) {
					m = list[b, j]
					if (m ~ /^(en|bridge|ap|vmnet)[0-9]+$/) links = links (physical++ ? ", " : "") m
				}
				if (!physical || physical == count[b]) continue
				printf "%sa virtual machine bridged to %s is not filtered by pf (%s: %s)", (said++ ? "; " : ""), links, b, members[b]
			}
			if (said) printf "\n"
		}
	' "$WORK/ifconfig"
}

# The lease's DHCP server of a link (`ipconfig getpacket`, server_identifier), printed only when it is on
# one of the link's IPv4 networks: renewals go to it unicast, and a server elsewhere would be a way off the link.
dhcp_server() { # LINK SUBNET...
	link=$1
	shift
	# As network/ipconfig-packet.ts reads it: sname, file and string options are printed raw, so the server may
	# write lines of its own. Only one "options:" line, the count right below it, and below that exactly one line
	# starting server_identifier, an IPv4 address in canonical form (pfctl may read 010 as octal).
	"$IPCONFIG" getpacket "$link" 2>/dev/null | awk -v subnets="$*" "$AWK_LIB"'
		function canonical(a,   p, i) {
			if (split(a, p, ".") != 4) return 0
			for (i = 1; i <= 4; i++) if (p[i] !~ /^(0|[1-9][0-9]?[0-9]?)$/ || p[i] + 0 > 255) return 0
			return 1
		}
		{ sub(/[ \t\r]+$/, "") }
		$0 == "options:" { headers++; header = NR; next }
		headers == 1 && NR == header + 1 { if ($0 ~ /^Options count is [0-9]+$/) counted = 1; next }
		counted && $1 == "server_identifier" { named++; line = $0 }
		END {
			if (headers != 1 || !counted || named != 1 || line !~ /^server_identifier \(ip\): [0-9.]+$/) exit
			server = substr(line, 25)
			if (!canonical(server)) exit
			n = split(subnets, list, " ")
			for (i = 1; i <= n; i++) if (list[i] !~ /:/ && within(server, list[i]) == 1) { print server; exit }
		}
	'
}

# The links the templates are filled in with, in $WORK/links: "NAME DHCP_SERVER|- SUBNET..." a line each.
describe_links() {
	physical_links | while read -r link subnets; do
		server=""
		# shellcheck disable=SC2086 # one argument per network
		case " $subnets" in *.*) server=$(dhcp_server "$link" $subnets) ;; esac
		printf '%s %s%s\n' "$link" "${server:--}" "${subnets:+ $subnets}"
	done >"$WORK/links"
}

# `route -n get TARGET` as "GATEWAY INTERFACE INTERFACE": the physical gateway and its interface, or
# "- -", then the interface the route leaves by (a tunnel for a full-tunnel VPN), or "-".
route_get_gateway() { # TARGET
	"$ROUTE" -n get "$1" 2>/dev/null | awk "$AWK_LIB"'
		$1 == "gateway:" { gateway = $2 }
		$1 == "interface:" { ifname = $2 }
		END {
			physical = v4(gateway) >= 0 && ifname ~ /^(en|bridge|ap|vmnet)[0-9]+$/
			print (physical ? gateway " " ifname : "- -"), (ifname ~ /^[a-z]+[0-9]+$/ ? ifname : "-")
		}
	'
}

# The physical network's IPv4 router as "ADDRESS INTERFACE", from the route table physical_gateway read
# (as network/routing.ts finds it): the default routes on a physical interface, unscoped first (a
# full-tunnel VPN leaves en0's scoped).
netstat_gateway() {
	awk "$AWK_LIB"'
		$1 == "Internet:" { family = 4; column = 0; next }
		$1 == "Internet6:" { family = 6; column = 0; next }
		$1 == "Destination" { column = 0; for (i = 4; i <= NF; i++) if ($i == "Netif") column = i; next }
		family == 6 || $1 != "default" || NF < 3 || $3 !~ /^[UGHRDMmdCXLS123WcBbIiYrg]+$/ || $3 ~ /[RB]/ || v4($2) < 0 { next }
		{
			ifname = ""
			if (column) ifname = $column
			else for (i = 4; i <= NF; i++) if ($i ~ /^[a-zA-Z][a-zA-Z0-9]*[0-9]$/) { ifname = $i; break }
			if (ifname !~ /^(en|bridge|ap|vmnet)[0-9]+$/) next
			if ($3 ~ /I/) { if (scoped == "") scoped = $2 " " ifname }
			else if (unscoped == "") unscoped = $2 " " ifname
		}
		END { if (unscoped != "") print unscoped; else if (scoped != "") print scoped }
	' "$WORK/routes"
}

# The interface of the routes that carry the Internet in the route table, as network/routing.ts
# findInternetRoute picks it: both halves (0/1 + 128.0/1, ::/1 + 8000::/1) on one interface, else the
# unscoped default; IPv4 first. A host route (one a DHCP server pushed for 1.1.1.1, say) never decides.
# Prints "-" when the table has none, nothing when there is no table.
internet_route_interface() {
	awk '
		$1 == "Internet:" { family = 4; column = 0; table = 1; next }
		$1 == "Internet6:" { family = 6; column = 0; table = 1; next }
		$1 == "Destination" { column = 0; for (i = 4; i <= NF; i++) if ($i == "Netif") column = i; next }
		!family || NF < 3 || $3 !~ /^[UGHRDMmdCXLS123WcBbIiYrg]+$/ || $3 ~ /[RBI]/ { next }
		{
			ifname = ""
			if (column) ifname = $column
			else for (i = 4; i <= NF; i++) if ($i ~ /^[a-zA-Z][a-zA-Z0-9]*[0-9]$/) { ifname = $i; break }
			if (ifname == "") next
			destination = tolower($1)
			if (destination == "default") { if (!((family, "any") in first)) first[family, "any"] = ifname; next }
			if (family == 4 && destination ~ /^0(\.0)*\/1$/) low[family, ++lows[family]] = ifname
			if (family == 4 && destination ~ /^128(\.0)*\/1$/) high[family, ifname] = 1
			if (family == 6 && destination ~ /^(0*:)?:\/1$/) low[family, ++lows[family]] = ifname
			if (family == 6 && destination ~ /^8000::\/1$/) high[family, ifname] = 1
		}
		END {
			if (!table) exit
			for (f = 4; f <= 6; f += 2) {
				for (i = 1; i <= lows[f]; i++) if ((f, low[f, i]) in high) { print low[f, i]; exit }
				if ((f, "any") in first) { print first[f, "any"]; exit }
			}
			print "-"
		}
	' "$WORK/routes"
}

# Prints "ADDRESS INTERFACE INTERNET_IF": the physical router and its interface ("- -" when none), then
# the interface that carries the Internet ("-" when unknown). Both come from `netstat -rn`; only without a
# table from the kernel's route to 1.1.1.1 (one address's route, which a pushed host route bends), and
# failing those from `route -n get default`.
physical_gateway() {
	if [ "${STEADY_READ:-no}" = yes ]; then
		printf '%s\n' "$STEADY_ROUTES" >"$WORK/routes"
	else
		"$NETSTAT" -rn >"$WORK/routes" 2>/dev/null || : >"$WORK/routes"
	fi
	internet_if=$(internet_route_interface)
	if [ -n "$internet_if" ]; then
		gateway=$(netstat_gateway)
	else
		read -r gateway_address gateway_interface internet_if <<EOF
$(route_get_gateway 1.1.1.1)
EOF
		gateway=""
		[ "$gateway_address" = - ] || gateway="$gateway_address $gateway_interface"
	fi
	# Without those, the default route tells both (an IKEv2 default on ipsec0 has no gateway).
	if [ -z "$gateway" ] || [ "${internet_if:--}" = - ]; then
		read -r gateway_address gateway_interface default_interface <<EOF
$(route_get_gateway default)
EOF
		if [ -z "$gateway" ] && [ "$gateway_address" != - ]; then gateway="$gateway_address $gateway_interface"; fi
		if [ "${internet_if:--}" = - ]; then internet_if=$default_interface; fi
	fi
	printf '%s %s\n' "${gateway:-- -}" "${internet_if:--}"
}

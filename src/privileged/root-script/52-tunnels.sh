# --- The tunnels to let through, decided as src/network/vpn-tunnel.ts decides them: a tunnel is the VPN for
# what shows a VPN behind it (a connected VPN service, a known VPN program's socket) or the user's naming,
# never for carrying the routes to the Internet alone

# The connected L2TP and PPTP services of `scutil --nc list` (network/vpn-tunnel.ts): the VPNs that run over
# a ppp interface. PPPoE and dial-up services are PPP too, with their link's type as subtype: not counted.
ppp_vpn_services() {
	"$SCUTIL" --nc list 2>/dev/null | awk '
		/^[* ] +\(Connected\) / && /"/ && $NF ~ /^\[PPP:(L2TP|PPTP)\]$/ { n++ }
		END { print n + 0 }
	'
}

# A VPN service of `scutil --nc list` connected (network/vpn-tunnel.ts hasConnectedVpnService): of type VPN
# or IPSec, or an L2TP/PPTP PPP service.
vpn_service_connected() {
	"$SCUTIL" --nc list 2>/dev/null | awk '
		/^[* ] +\(Connected\) / && /"/ && ($NF ~ /^\[PPP:(L2TP|PPTP)\]$/ || $NF ~ /^\[(VPN|IPSec)(:.*)?\]$/) { found = 1 }
		END { exit !found }
	'
}

# The programs whose sockets show a VPN running, as network/vpn-clients.ts KNOWN_VPN_CLIENTS lists them.
VPN_CLIENTS="openvpn wireguard-go WireGuardNetworkExtension NEIKEv2Provider racoon charon openconnect openfortivpn"

# True when a known VPN client owns a socket of `netstat -anv`, read as network/netstat-sockets.ts reads it:
# the owner's column found from the header, macOS 26's `process:pid` (a name may hold spaces: the name is
# what lies between the counters and the last eight columns) or an older `pid epid`, whose pids `ps` names
# (at most 200, the lowest, as network/snapshot.ts asks). A name is matched as vpnClientOf matches it.
vpn_program_running() {
	"$NETSTAT" -anv 2>/dev/null | awk -v clients="$VPN_CLIENTS" '
		BEGIN { count = split(clients, known, " ") }
		$1 == "Proto" && $2 == "Recv-Q" && $3 == "Send-Q" {
			state = 0
			for (i = 4; i <= NF; i++) if ($i == "(state)") state = i
			if (!state) next
			layout = ""
			for (i = state + 1; i <= NF; i++) if ($i == "process:pid") { layout = "named"; at = i - state - 1; break }
			if (layout == "") for (i = state + 1; i <= NF; i++) if ($i == "pid") {
				if ($(i + 1) == "epid") { layout = "pid"; at = i - state - 1 }
				break
			}
			next
		}
		$1 !~ /^(tcp|udp)(4|6|46)$/ || $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || NF < 5 || layout == "" { next }
		{
			# The owner columns follow the addresses and, for TCP, the state.
			rest = 6
			if ($1 ~ /^tcp/ && $6 ~ /^[A-Z_0-9]+([^A-Za-z0-9_]|$)/) rest = 7
			if (layout == "pid") {
				pid = $(rest + at)
				if (pid ~ /^[0-9]+$/ && length(pid) <= 7 && pid + 0 > 0) pids[pid + 0] = 1
				next
			}
			# One word between the counters and the last eight columns: a name with spaces is no known client.
			if (NF - 8 != rest + at) next
			owner = $(NF - 8)
			if (!match(owner, /.:[0-9]+$/)) next
			pid = substr(owner, RSTART + 2)
			if (length(pid) > 7 || pid + 0 == 0) next
			if (client(substr(owner, 1, RSTART))) { print "yes"; exit }
		}
		function client(name,   i) {
			sub(/.*\//, "", name)
			for (i = 1; i <= count; i++)
				if (name == known[i] || (length(name) == 16 && substr(known[i], 1, 16) == name)) return 1
			return 0
		}
		END { for (pid in pids) print pid }
	' >"$WORK/vpn-owners"
	grep -qx yes "$WORK/vpn-owners" && return 0
	pids=$(sort -n "$WORK/vpn-owners" | head -n 200 | tr '\n' ',')
	[ -n "$pids" ] || return 1
	"$PS" -p "${pids%,}" -o pid=,comm= 2>/dev/null | awk -v clients="$VPN_CLIENTS" '
		BEGIN { count = split(clients, known, " ") }
		{
			line = $0
			sub(/^[ \t]*/, "", line)
			if (!match(line, /^[0-9]+[ \t]+/) || length($1) > 7) next
			name = substr(line, RLENGTH + 1)
			sub(/[ \t]+$/, "", name)
			sub(/.*\//, "", name)
			for (i = 1; i <= count; i++)
				if (name == known[i] || (length(name) == 16 && substr(known[i], 1, 16) == name)) found = 1
		}
		END { exit !found }
	'
}

# The tunnels to let through (see the head of this file): the tunnel carrying the routes to the Internet,
# then the named ones of the VPN tunnels that are up (utun/tun/tap/ipsec/ppp with an IPv4 or a
# non-link-local IPv6 address; macOS's own utuns carry only link-local ones). A ppp interface carrying
# those routes is the VPN only when connected L2TP/PPTP services account for every ppp that is up (else
# it may be a PPPoE or modem link, the ISP's); another tunnel only when a VPN is seen running (a connected
# VPN service, a known VPN program's socket), read only then, and not when the user named it: a named
# one that is up comes first. Any other tunnel is some app's, not the VPN.
# With "*" for INTERNET_INTERFACE: every VPN tunnel that is up, in ifconfig order (for inspect).
vpn_tunnels() { # INTERNET_INTERFACE TRUSTED_NAMES
	ppp_vpns=0
	vpn_running=no
	case " $2 " in
	*" $1 "*) ;;
	*)
		case $1 in
		ppp[0-9]*) ppp_vpns=$(ppp_vpn_services) ;;
		utun[0-9]* | tun[0-9]* | tap[0-9]* | ipsec[0-9]*)
			if vpn_service_connected || vpn_program_running; then vpn_running=yes; fi
			;;
		esac
		;;
	esac
	awk -v internet="$1" -v named="$2" -v ppp_vpns="$ppp_vpns" -v running="$vpn_running" '
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
			for (i = 1; i <= m; i++) if (listed[i] ~ /^ppp[0-9]+$/) ppp++
			proven = internet ~ /^ppp/ ? (ppp > 0 && ppp <= ppp_vpns + 0) : running == "yes"
			count = split(named, names, " ")
			for (i = 1; i <= count; i++) if (names[i] == internet && up[internet]) proven = 1
			if (internet == "*") for (i = 1; i <= m; i++) order[++n] = listed[i]
			else if (internet ~ /^(utun|tun|tap|ipsec|ppp)[0-9]+$/ && proven) { order[++n] = internet; seen[internet] = 1 }
			for (i = 1; i <= count; i++) if (up[names[i]] && !seen[names[i]]) { order[++n] = names[i]; seen[names[i]] = 1 }
			for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""), order[i]
			if (n) printf "\n"
		}
	' "$WORK/ifconfig"
}

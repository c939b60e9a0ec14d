# --- Which network this is (network/identity.ts reads it the same): the router's MAC, the subnet it is on,
# the identity that picks a rule template, and the link's security, which a copy of the network cannot fake
# without its key

# The router's MAC from the ARP table, else from its row in the routing table; lower case, two digits
# per octet. Prints it (nothing when unknown).
gateway_mac() { # ADDRESS INTERFACE
	mac=$("$ARP" -an 2>/dev/null | awk -v gw="($1)" -v ifname="$2" "$AWK_LIB"'
		$2 == gw && $3 == "at" && $5 == "on" && $6 == ifname && normal($4) != "" { print normal($4); exit }
	')
	if [ -n "$mac" ]; then
		printf '%s\n' "$mac"
	else
		"$NETSTAT" -rn 2>/dev/null | awk -v gw="$1" -v ifname="$2" "$AWK_LIB"'
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
	awk -v gw="$1" -v ifname="$2" "$AWK_LIB"'
		/^[ \t]*[A-Za-z][A-Za-z0-9]*: flags=[0-9a-fA-F]+</ {
			name = $1; sub(/:$/, "", name)
			if (inside) exit
			inside = name == ifname
			next
		}
		inside && $1 == "inet" {
			mask = ""
			for (i = 3; i < NF; i++) if ($i == "netmask") mask = $(i + 1)
			bits = mask_bits(mask); address = v4($2); router = v4(gw)
			if (bits < 0 || address < 0 || router < 0) next
			size = 2 ^ (32 - bits)
			if (int(address / size) == int(router / size)) { print dotted(int(address / size) * size) "/" bits; exit }
		}
	' "$WORK/ifconfig"
}

# The identity of the network whose router is ADDRESS on INTERFACE (network/identity.ts), printed as
# gw=<ip>,mac=<mac|unknown>,net=<cidr|unknown>; nothing without a router.
network_identity() { # ADDRESS INTERFACE
	[ "$1" != - ] || return 0
	mac=$(gateway_mac "$1" "$2")
	subnet=$(gateway_subnet "$1" "$2")
	printf 'gw=%s,mac=%s,net=%s\n' "$1" "${mac:-unknown}" "${subnet:-unknown}"
}

# How the link INTERFACE is protected, as network/identity.ts `linkSecurity` reads `ipconfig getsummary`
# (top-level keys are indented by two spaces): the Wi-Fi security mode in upper case, "wired" for another
# interface type; nothing when unknown. macOS redacts the Wi-Fi name but not this.
link_security() { # INTERFACE
	[ "$1" != - ] || return 0
	"$IPCONFIG" getsummary "$1" 2>/dev/null | awk '
		{ sub(/\r$/, "") }
		/^  [A-Za-z][A-Za-z0-9-]* : / {
			at = index($0, " : ")
			value = substr($0, at + 3); gsub(/^[ \t]+|[ \t]+$/, "", value)
			keys[substr($0, 3, at - 3)] = value
		}
		END {
			type = keys["InterfaceType"]; mode = keys["Security"]
			if (type == "") exit
			if (type != "WiFi") print "wired"
			else if (mode ~ /^[A-Za-z0-9_]+$/ && length(mode) <= 40) print toupper(mode)
		}
	'
}

# Whether a link protected as CURRENT meets REQUIRED, as network/identity.ts `securityMeets` decides: the same
# mode, or for "protected" a wired link or a Wi-Fi mode that needs a key. Unknown meets nothing.
security_meets() { # REQUIRED CURRENT
	[ -n "$2" ] || return 1
	[ "$1" != "$2" ] || return 0
	[ "$1" = protected ] || return 1
	[ "$2" != wired ] || return 0
	case $2 in
	*OWE* | *OPEN* | *NONE*) return 1 ;;
	*WPA* | *WEP* | *PSK* | *SAE* | *EAP* | *8021X* | *PERSONAL* | *ENTERPRISE*) return 0 ;;
	esac
	return 1
}

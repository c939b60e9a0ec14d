# --- Messages, and the checks every value given to this script passes before it is used

fail() { # fail STATUS MESSAGE
	printf '%s\n' "$2" >&2
	exit "$1"
}

warn() {
	printf '%s\n' "$*" >>"$WORK/warnings"
}

# A system root other than "" picks the pfctl and the files this script uses: that is for the tests' stand-in
# macOS only. On a Mac, as root, it is refused, so that no caller can point root at programs of its own.
system_root_allowed() { # SYSTEM_ROOT
	[ -z "$1" ] && return 0
	[ "$(uname -s)" = Darwin ] && [ "$(id -u)" = 0 ] && return 1
	return 0
}

is_address() { # an IPv4/IPv6 address or CIDR network: hex digits, dots, colons and one slash at most
	case $1 in
	'' | *[!0-9A-Fa-f.:/]* | */*/*) return 1 ;;
	esac
	return 0
}

is_tunnel_name() {
	case $1 in
	utun[0-9]* | tun[0-9]* | tap[0-9]* | ipsec[0-9]* | ppp[0-9]*) ;;
	*) return 1 ;;
	esac
	case $1 in *[!a-z0-9]*) return 1 ;; esac
	[ "${#1}" -le 15 ]
}

is_identity() { # gw=<ip>,mac=<mac|unknown>,net=<cidr|unknown>, as network/identity.ts prints it
	case $1 in
	gw=*,mac=*,net=*) ;;
	*) return 1 ;;
	esac
	case $1 in *[!0-9a-z=,.:/]*) return 1 ;; esac
	[ "${#1}" -le 100 ]
}

is_link_security() { # what a network's template needs of its link: WPA2_PSK (a Wi-Fi mode), wired or protected
	case $1 in wired | protected) return 0 ;; "" | *[!A-Z0-9_]*) return 1 ;; esac
	[ "${#1}" -le 40 ]
}

is_host_name() {
	case $1 in
	'' | -* | *[!A-Za-z0-9.-]*) return 1 ;;
	esac
	[ "${#1}" -le 253 ]
}

# A VPN server as policy.ts formatRecordedServer writes it: an address with an optional [..]:port/proto or
# /ikev2, then the evidence (@process, @user), or an address the user said is none (@declined).
is_server() {
	case $1 in
	*@process | *@user | *@declined) ;;
	*) return 1 ;;
	esac
	case ${1%@*} in
	'' | *[!]0-9A-Fa-f.:/ikevtcpud[]*) return 1 ;;
	esac
	[ "${#1}" -le 72 ]
}

is_seconds() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ "${#1}" -le 12 ]
}

ends_with_newline() {
	case $1 in
	*'
') return 0 ;;
	esac
	return 1
}

# JSON string contents: our messages are plain text, pfctl's words may hold quotes. Plain text is
# printed as it is, without starting a program.
json_text() {
	case $1 in
	*[\\\"\	]* | *'
'*) printf '%s' "$1" | tr '\n\t' '  ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' ;;
	*) printf '%s' "$1" ;;
	esac
}

json_list() { # WORDS -> "a","b"
	list=""
	for word in $1; do list="$list${list:+,}\"$word\""; done
	printf '%s' "$list"
}

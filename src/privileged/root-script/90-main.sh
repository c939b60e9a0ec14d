# --- The entry: the action and the system root, the options, then the action

[ $# -ge 2 ] || fail "$KS_EXIT_BAD_ARGUMENTS" "usage: killswitch-root enable|apply|disable|uninstall|clear-log|watch|inspect SYSTEM_ROOT [OPTIONS]"
ACTION=$1
SYSROOT=$2
shift 2
case $SYSROOT in
'') ;;
/*)
	case $SYSROOT in *..* | *[!A-Za-z0-9._/-]*) fail "$KS_EXIT_BAD_ARGUMENTS" "invalid system root: $SYSROOT" ;; esac
	;;
*) fail "$KS_EXIT_BAD_ARGUMENTS" "invalid system root: $SYSROOT" ;;
esac
system_root_allowed "$SYSROOT" || fail "$KS_EXIT_BAD_ARGUMENTS" "a system root is for tests only; on a Mac it must be \"\": $SYSROOT"
case $ACTION in
enable | apply | disable | uninstall | clear-log | watch | inspect) ;;
*) fail "$KS_EXIT_BAD_ARGUMENTS" "unknown action: $ACTION" ;;
esac
PFCTL="$SYSROOT/sbin/pfctl"
SYSCTL="$SYSROOT/usr/sbin/sysctl"
IFCONFIG="$SYSROOT/sbin/ifconfig"
ROUTE="$SYSROOT/sbin/route"
NETSTAT="$SYSROOT/usr/sbin/netstat"
SCUTIL="$SYSROOT/usr/sbin/scutil"
ARP="$SYSROOT/usr/sbin/arp"
PS="$SYSROOT/bin/ps"
IPCONFIG="$SYSROOT/usr/sbin/ipconfig"
TCPDUMP="$SYSROOT/usr/sbin/tcpdump"
STAT="$SYSROOT/usr/bin/stat"
LAUNCHCTL="$SYSROOT/bin/launchctl"
SH="$SYSROOT/bin/sh"
# The clock and the waits come from the system's own programs, so a test's fake macOS can move time on.
DATE="$SYSROOT/bin/date"
SLEEP="$SYSROOT/bin/sleep"
STATE_DIR="$SYSROOT$KS_STATE_DIR"
CAPTURE="$STATE_DIR/$KS_FILE_CAPTURE"
STEADY="$STATE_DIR/$KS_FILE_STEADY"
LOCK_DIR="$SYSROOT/var/run/$KS_ID.lock"
# This boot's record of when each window ends by uptime, and the newest change timer (68-windows.sh).
WINDOWS_FILE="$SYSROOT/var/run/$KS_ID.windows"
TIMER_FILE="$SYSROOT/var/run/$KS_ID.timer"
LOCKED=no
CHANGED_BY=""

# The watchdog has pf hold blocking rules before it needs anything that may fail: at boot pf is stopped and empty.
if [ "$ACTION" = watch ]; then
	hold_blocking_rules
	# Nothing changed since the last full check: done, with no work folder.
	if steady_check; then exit 0; fi
fi
if ! WORK=$(mktemp -d "$SYSROOT/tmp/killswitch.XXXXXX"); then
	if [ "$ACTION" = watch ]; then hold_without_work; fi
	report_without_work
	fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot create a private work directory"
fi
# One reading of the clock a run: what it records and the rules it picks all speak of the same second.
NOW=$("$DATE" +%s)
BOOT_TIME=""
trap 'release_lock; rm -rf "$WORK"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
: >"$WORK/warnings"

HAVE_RULES=no
HAVE_TEMPLATES=no
HAVE_FAIL_CLOSED=no
FAILED_CLOSED=no
NEXT_CHANGE=""
RULES=""
TUNNELS=""
KILLS=""
FIXED_TUNNEL=""
NETWORK_ID=""
PORTAL=""
TRUSTED_TUNNELS=""
STARTUP=no
STARTUP_SCRIPT=""
SERVERS=""
TUNNEL_ROUTES=""
CAPTURE_LIMIT=""
SERVER_ADDRESSES=""
PINNED=""
templates=0
: >"$WORK/resolved"
while [ $# -gt 0 ]; do
	case $1 in
	--rules)
		[ $# -ge 2 ] || fail "$KS_EXIT_BAD_ARGUMENTS" "--rules needs a value"
		RULES=$2
		HAVE_RULES=yes
		shift 2
		;;
	--tunnel)
		if [ $# -lt 2 ] || ! is_tunnel_name "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--tunnel needs a tunnel interface name"; fi
		TUNNELS="$TUNNELS${TUNNELS:+ }$2"
		shift 2
		;;
	--kill)
		if [ $# -lt 3 ] || ! is_address "$2" || ! is_address "$3"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--kill needs two addresses"; fi
		KILLS="$KILLS$2 $3
"
		shift 3
		;;
	--other-rules)
		if [ $# -lt 2 ] || ! ends_with_newline "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--other-rules needs rules ending with a newline"; fi
		[ -d "$WORK/templates" ] || mkdir "$WORK/templates" || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot write to $WORK"
		printf '%s' "$2" >"$WORK/templates/other.pf"
		printf 'other other.pf\n' >>"$WORK/templates/index"
		HAVE_TEMPLATES=yes
		shift 2
		;;
	--network-rules)
		if [ $# -lt 4 ] || ! is_identity "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--network-rules needs a network identity (gw=...,mac=...,net=...)"; fi
		is_link_security "$3" || fail "$KS_EXIT_BAD_ARGUMENTS" "--network-rules needs a link security (WPA2_PSK, wired or protected)"
		ends_with_newline "$4" || fail "$KS_EXIT_BAD_ARGUMENTS" "--network-rules needs rules ending with a newline"
		templates=$((templates + 1))
		[ -d "$WORK/templates" ] || mkdir "$WORK/templates" || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot write to $WORK"
		printf '%s' "$4" >"$WORK/templates/network-$templates.pf"
		printf 'network network-%s.pf %s %s\n' "$templates" "$2" "$3" >>"$WORK/templates/index"
		shift 4
		;;
	--fail-closed-rules)
		if [ $# -lt 2 ] || ! ends_with_newline "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--fail-closed-rules needs rules ending with a newline"; fi
		printf '%s' "$2" >"$WORK/fail-closed.pf" || fail "$KS_EXIT_UNSAFE_STATE_DIRECTORY" "cannot write to $WORK"
		HAVE_FAIL_CLOSED=yes
		shift 2
		;;
	--fixed-tunnel)
		if [ $# -lt 2 ] || ! is_tunnel_name "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--fixed-tunnel needs a tunnel interface name"; fi
		FIXED_TUNNEL=$2
		shift 2
		;;
	--trusted-tunnel)
		if [ $# -lt 2 ] || ! is_tunnel_name "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--trusted-tunnel needs a tunnel interface name"; fi
		TRUSTED_TUNNELS="$TRUSTED_TUNNELS${TRUSTED_TUNNELS:+ }$2"
		shift 2
		;;
	--network)
		if [ $# -lt 2 ] || ! is_identity "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--network needs a network identity (gw=...,mac=...,net=...)"; fi
		NETWORK_ID=$2
		shift 2
		;;
	--portal-until)
		if [ $# -lt 2 ] || ! is_seconds "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--portal-until needs seconds since 1970"; fi
		PORTAL=$2
		shift 2
		;;
	--resolved)
		if [ $# -lt 3 ] || ! is_host_name "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--resolved needs a host name and its addresses"; fi
		for address in $(printf '%s' "$3" | tr ',' ' '); do
			is_address "$address" || fail "$KS_EXIT_BAD_ARGUMENTS" "--resolved needs a host name and its addresses"
		done
		printf '%s %s\n' "$2" "$3" >>"$WORK/resolved"
		shift 3
		;;
	--server-name)
		case $# in [012]) set -- "$1" "" "" ;; esac
		said="--server-name needs a lower-case host name and canonical addresses: $2 $3"
		case $3 in '' | *[!0-9a-f.:,]*) fail "$KS_EXIT_BAD_ARGUMENTS" "$said" ;; esac
		for address in $(printf '%s' "$3" | tr ',' ' '); do pin "$2" "$address" || fail "$KS_EXIT_BAD_ARGUMENTS" "$said"; done
		shift 3
		;;
	--server-address)
		if [ $# -lt 2 ] || ! is_address "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--server-address needs an address"; fi
		SERVER_ADDRESSES="$SERVER_ADDRESSES${SERVER_ADDRESSES:+ }$2"
		shift 2
		;;
	--server)
		if [ $# -lt 2 ] || ! is_server "$2"; then fail "$KS_EXIT_BAD_ARGUMENTS" "--server needs a VPN server address"; fi
		SERVERS="$SERVERS${SERVERS:+ }$2"
		shift 2
		;;
	--capture-limit)
		if [ $# -lt 2 ] || ! is_seconds "$2" || [ "$2" -gt 1000 ]; then fail "$KS_EXIT_BAD_ARGUMENTS" "--capture-limit needs megabytes from 0 to 1000"; fi
		CAPTURE_LIMIT=$2
		shift 2
		;;
	--tunnel-route)
		if [ $# -lt 2 ] || ! is_address "$2" || [ "${2#*/}" = "$2" ]; then fail "$KS_EXIT_BAD_ARGUMENTS" "--tunnel-route needs a network (address/prefix)"; fi
		TUNNEL_ROUTES="$TUNNEL_ROUTES${TUNNEL_ROUTES:+ }$2"
		shift 2
		;;
	--startup)
		if [ $# -lt 2 ] || [ -z "$2" ]; then fail "$KS_EXIT_BAD_ARGUMENTS" "--startup needs the watchdog script"; fi
		STARTUP=yes
		STARTUP_SCRIPT=$2
		shift 2
		;;
	*) fail "$KS_EXIT_BAD_ARGUMENTS" "unknown argument: $1" ;;
	esac
done
if [ "$templates" -gt 0 ] && [ "$HAVE_TEMPLATES" = no ]; then fail "$KS_EXIT_BAD_ARGUMENTS" "--network-rules needs --other-rules too"; fi
if [ "$HAVE_TEMPLATES" = yes ]; then
	if [ -n "$FIXED_TUNNEL" ]; then
		printf 'tunnels fixed %s\n' "$FIXED_TUNNEL" >>"$WORK/templates/index"
	else
		printf 'tunnels auto %s\n' "$TRUSTED_TUNNELS" >>"$WORK/templates/index"
	fi
fi

# What this run found and did, in capitals: set by the steps that find it, read by the report at its end
# (report, write_state, write_watchdog_status). Answers a step only hands to its caller come on standard output.
ATTACHMENT=none
ATTACH_CHANGED=no
ATTACH_PROBLEM=""
REFERENCE=none
TOKEN=""
KILLED=0
WAS_ON=yes
WATCHDOG=none
LAUNCHCTL_PROBLEM=""
IDENTITY=""
TEMPLATE=""
NOT_LOCAL=""
SKIPPED=""

case $ACTION in
enable | apply) do_on ;;
disable) do_off ;;
uninstall) do_uninstall ;;
clear-log) do_clear_log ;;
watch) do_watch ;;
inspect) do_inspect ;;
esac

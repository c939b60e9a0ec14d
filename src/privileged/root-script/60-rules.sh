# --- The rules the watchdog loads: templates filled in for this network, tunnels and time, and the
# fail-closed rules for when those are missing, corrupt or refused

# Fills a template in (see the head of this file) for the tunnels let through, the time, and the
# physical links of LINKS (describe_links): consecutive lines marked each-link are one block, repeated
# for each link; within it, consecutive each-subnet lines are repeated for each network of the link, and
# an each-dhcp line is kept when the link has an on-link DHCP server, and a subnet-route=ROUTE line
# (among the each-subnet lines) for each network of the link that ROUTE lies inside. As the builder's
# localNetworkOf: a network outside private, link-local and unique-local space gets none of them (it is
# written to NOTES, when given), nor one that a ROUTE holds. A network-link line is kept (until its time,
# if it has one) with @NETLINK@ the link of the network the template is for (NETWORK_LINK), and left out
# without one. A line until a time is kept while its window is open (68-windows.sh): before that time, and
# before the uptime $WINDOWS_FILE records for it.
fill_template() { # TEMPLATE TUNNELS NOW LINKS [NOTES] [NETWORK_LINK]
	read_boot_time
	uptime=""
	if [ -n "$BOOT_TIME" ]; then uptime=$(($3 - BOOT_TIME)); fi
	awk -v tunnels="$2" -v now="$3" -v notes="${5:-}" -v netlink="${6:-}" -v uptime="$uptime" -v windows="$WINDOWS_FILE" "$AWK_LIB"'
		BEGIN {
			n = split(tunnels, name, " ")
			joined = ""
			for (i = 1; i <= n; i++) joined = joined (i > 1 ? ", " : "") name[i]
			while ((getline line < windows) > 0) if (split(line, f, " ") == 2) ends[f[1]] = f[2]
		}
		function open(at) {
			return now + 0 < at + 0 && uptime != "" && (!(at in ends) || uptime + 0 < ends[at] + 0)
		}
		function put(text, l, net,   af) {
			af = net ~ /:/ ? "inet6" : "inet"
			gsub(/@LINK@/, link[l], text); gsub(/@DHCP@/, dhcp[l], text)
			gsub(/@SUBNET@/, net, text); gsub(/@AF@/, af, text)
			print text
		}
		function inside(route, network,   r, n) {
			split(route, r, "/"); split(network, n, "/")
			return within(r[1], network) == 1 && r[2] + 0 > n[2] + 0
		}
		function holds(route, network,   r, n) {
			split(route, r, "/"); split(network, n, "/")
			return within(n[1], route) == 1 && r[2] + 0 <= n[2] + 0
		}
		# A network of the link the local network may pass: private space, and no route into the tunnel holds it.
		function passed(network, from, to,   k) {
			if (!local_space(network)) {
				if (notes != "" && !(network in noted)) { noted[network] = 1; print network > notes }
				return 0
			}
			for (k = from; k < to; k++) if (kind[k] == "subnet-route" && holds(route[k], network)) return 0
			return 1
		}
		function flush(   l, i, j, k, s) {
			for (l = 1; l <= links; l++) {
				for (i = 1; i <= held; ) {
					if (kind[i] != "each-subnet" && kind[i] != "subnet-route") {
						if (kind[i] == "each-link" || dhcp[l] != "-") put(body[i], l, "")
						i++
						continue
					}
					for (j = i; j <= held && (kind[j] == "each-subnet" || kind[j] == "subnet-route"); j++) ;
					for (s = 1; s <= nets[l]; s++) for (k = i; k < j && passed(net[l, s], i, j); k++)
						if (kind[k] == "each-subnet" || inside(route[k], net[l, s])) put(body[k], l, net[l, s])
					i = j
				}
			}
			held = 0
		}
		FILENAME == ARGV[1] {
			link[++links] = $1; dhcp[links] = $2; nets[links] = NF - 2
			for (i = 3; i <= NF; i++) net[links, i - 2] = $i
			next
		}
		/^#@@ each-(link|subnet|dhcp):/ {
			at = index($0, ":")
			kind[++held] = substr($0, 5, at - 5); body[held] = substr($0, at + 1)
			next
		}
		match($0, /^#@@ subnet-route=[0-9A-Fa-f:.]+\/[0-9]+:/) {
			kind[++held] = "subnet-route"; route[held] = substr($0, 18, RLENGTH - 18); body[held] = substr($0, RLENGTH + 1)
			next
		}
		held { flush() }
		/^#@@ tunnels-none:/ { if (n == 0) print substr($0, 18); next }
		/^#@@ tunnels-some:/ { if (n > 0) { line = substr($0, 18); gsub(/@TUNNEL@/, joined, line); print line }; next }
		/^#@@ each-tunnel:/ { for (i = 1; i <= n; i++) { line = substr($0, 17); gsub(/@TUNNEL@/, name[i], line); print line }; next }
		/^#@@ until=[0-9]+:/ {
			rest = substr($0, 11); at = index(rest, ":")
			if (open(substr(rest, 1, at - 1) + 0)) print substr(rest, at + 1)
			next
		}
		/^#@@ network-link(-until=[0-9]+)?:/ {
			at = index($0, ":"); head = substr($0, 5, at - 5); line = substr($0, at + 1)
			if (head != "network-link" && !open(substr(head, 20) + 0)) next
			if (netlink != "") { gsub(/@NETLINK@/, netlink, line); print line }
			next
		}
		{ print }
		END { if (held) flush() }
	' "$4" "$1"
}

# The rules the kill switch should have now: the template of this network (or of any other network),
# filled in with the VPN tunnels that are up and the physical links. Sets IDENTITY, TEMPLATE and TUNNELS;
# writes $1.
desired_rules() { # OUTPUT NOW
	read_interfaces
	[ -s "$WORK/ifconfig" ] || warn "The interfaces could not be read (ifconfig -a failed): no tunnel and no link plumbing pass."
	describe_links
	read -r gateway_ip gateway_if internet_if <<EOF
$(physical_gateway)
EOF
	[ -s "$WORK/routes" ] || warn "The route table could not be read (netstat -rn failed)."
	IDENTITY=$(network_identity "$gateway_ip" "$gateway_if")
	SECURITY=$(link_security "$gateway_if")
	TEMPLATE=""
	network_link=""
	TUNNELS=""
	NOT_LOCAL=""
	: >"$WORK/not-local"
	index="$STATE_DIR/$KS_FILE_TEMPLATES/index"
	if [ ! -f "$index" ]; then
		# Enabled without templates: the rules stay as loaded, tunnels as recorded.
		TEMPLATE=$KS_FILE_RULES
		TUNNELS=$(state_values list:tunnels)
		cp "$STATE_DIR/$KS_FILE_RULES" "$1" 2>/dev/null || : >"$1"
		return
	fi
	# The index: "network FILE ID SECURITY", "other FILE", "tunnels fixed NAME" or "tunnels auto [NAME...]"
	# (the trusted tunnels), a line each. A network's template needs its id and a link security that meets
	# SECURITY: a copy of the router on an open Wi-Fi gets the other template.
	other=""
	fixed=""
	trusted=""
	unknown_security=no
	while read -r kind first second; do
		case $kind in
		network)
			if [ -z "$TEMPLATE" ] && [ -n "$IDENTITY" ] && [ "${second%% *}" = "$IDENTITY" ] &&
				security_meets "${second#* }" "$SECURITY"; then
				TEMPLATE=$first
				network_link=$gateway_if
			elif [ -n "$IDENTITY" ] && [ "${second%% *}" = "$IDENTITY" ] && [ -z "$SECURITY" ] && [ "$unknown_security" = no ]; then
				unknown_security=yes
				warn "The link's security could not be read (ipconfig getsummary $gateway_if): this network's own rules are not used."
			fi
			;;
		other) [ -n "$other" ] || other=$first ;;
		tunnels)
			if [ "$first" = fixed ] && [ -z "$fixed" ]; then fixed=$second; fi
			if [ "$first" = auto ]; then trusted=$second; fi
			;;
		esac
	done <"$index"
	[ -n "$TEMPLATE" ] || TEMPLATE=$other
	if [ -n "$fixed" ]; then
		TUNNELS=$fixed
		fill_template "$STATE_DIR/$KS_FILE_TEMPLATES/$TEMPLATE" "" "$2" "$WORK/links" "$WORK/not-local" "$network_link" >"$1"
	else
		TUNNELS=$(vpn_tunnels "$internet_if" "$trusted")
		fill_template "$STATE_DIR/$KS_FILE_TEMPLATES/$TEMPLATE" "$TUNNELS" "$2" "$WORK/links" "$WORK/not-local" "$network_link" >"$1"
	fi
	# The networks this one calls local that are public address space: passed by no template, said in the record.
	NOT_LOCAL=$(tr '\n' ' ' <"$WORK/not-local" 2>/dev/null)
	NOT_LOCAL=${NOT_LOCAL% }
}

# The same rules, comments and blank lines aside: two such files load the same ruleset. One awk
# reads both (each program started costs time).
same_rules() { # FILE FILE
	[ -f "$2" ] || return 1
	awk '
		/^[ \t]*#/ || /^[ \t]*$/ { next }
		FILENAME == ARGV[1] { a[++na] = $0; next }
		{ b[++nb] = $0 }
		END {
			if (na != nb) exit 1
			for (i = 1; i <= na; i++) if (a[i] != b[i]) exit 1
		}
	' "$1" "$2"
}

# Keeps the templates given to enable/apply in rules/, replacing the previous set at once.
save_templates() {
	rm -rf "$STATE_DIR/$KS_FILE_TEMPLATES.new"
	if [ "$HAVE_TEMPLATES" = no ]; then
		rm -rf "$STATE_DIR/${KS_FILE_TEMPLATES:?}"
		return 0
	fi
	if ! { mkdir "$STATE_DIR/$KS_FILE_TEMPLATES.new" && cp "$WORK/templates/"* "$STATE_DIR/$KS_FILE_TEMPLATES.new/"; }; then return 1; fi
	rm -rf "$STATE_DIR/$KS_FILE_TEMPLATES.old"
	if [ -d "$STATE_DIR/$KS_FILE_TEMPLATES" ]; then mv "$STATE_DIR/$KS_FILE_TEMPLATES" "$STATE_DIR/$KS_FILE_TEMPLATES.old"; fi
	mv "$STATE_DIR/$KS_FILE_TEMPLATES.new" "$STATE_DIR/$KS_FILE_TEMPLATES" && rm -rf "$STATE_DIR/$KS_FILE_TEMPLATES.old"
}

# The links of now and a sample one with every kind of line, to check templates with (in $WORK/links.check),
# so the lines of each link are checked even with none attached now.
links_for_checks() {
	[ -s "$WORK/ifconfig" ] || read_interfaces
	describe_links
	{ text_of "$WORK/links"; printf '%s\n' "en0 192.168.0.1 192.168.0.0/16 10.0.0.0/16 172.16.0.0/16 fd00::/64"; } >"$WORK/links.check"
}

# Each template must be rules pf accepts once filled in, or the watchdog could not load it later.
check_templates() { # NOW
	[ "$HAVE_TEMPLATES" = yes ] || return 0
	for file in "$WORK/templates/"*.pf; do
		fill_template "$file" "$TUNNELS" "$1" "$WORK/links.check" "" en0 >"$WORK/template.check"
		pf -n -a "$KS_ANCHOR" -f "$WORK/template.check" ||
			fail "$KS_EXIT_RULES_REJECTED" "pf rejected the watchdog's rules (${file##*/}): $(pf_said)"
	done
}

# Keeps the fail-closed rules Enable/Apply gave (none given: none kept, the built-in ones stand in).
save_fail_closed() {
	if [ "$HAVE_FAIL_CLOSED" = no ]; then
		rm -f "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES"
		return 0
	fi
	cp "$WORK/fail-closed.pf" "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES.new" && mv -f "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES.new" "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES"
}

# The last resort, when fail-closed.pf is missing, corrupt or refused too: loopback and link plumbing on
# every physical link of LINKS (the same lines as the builder's, broadcast DHCP only), everything else blocked. No
# VPN server is known here, but nothing leaks and the Mac can still join its network. Without LINKS (at boot, before
# the network is read) loopback alone: plumbing on any interface would pass on a VM's bridge too.
builtin_fail_closed_rules() { # [LINKS]
	printf '%s\n' "# VPN Kill Switch, built-in fail-closed rules: the kill switch's own rules could not be loaded." \
		"# Only loopback and link plumbing pass; enable the kill switch again to repair." \
		"pass quick on lo0 all flags any keep state"
	while read -r link _; do
		printf '%s\n' \
			"pass out quick on $link inet proto udp from any port 68 to 255.255.255.255 port 67 keep state" \
			"pass in quick on $link inet proto udp from any port 67 to any port 68 no state" \
			"pass out quick on $link inet6 proto udp from fe80::/10 port 546 to ff02::1:2 port 547 keep state" \
			"pass in quick on $link inet6 proto udp from fe80::/10 port 547 to fe80::/10 port 546 no state" \
			"pass out quick on $link inet6 proto icmp6 from any to { fe80::/10, ff02::/16 } icmp6-type { 133, 134, 135, 136, 137, 143 } no state" \
			"pass in quick on $link inet6 proto icmp6 from any to any icmp6-type { 130, 133, 134, 135, 136, 137 } no state"
	done <"${1:-/dev/null}"
	printf '%s\n' "block return out log (user) quick proto { tcp, udp } from any to any port { 53, 853 }" \
		"block return out log (user) quick all" "block drop in log (user) quick all"
}

# Loads blocking rules in place of rules that cannot be used (REASON says why), puts them first and keeps
# pf on: fail-closed.pf when pf takes it, else the built-in rules. Records the result; never leaves pf open.
fail_closed() { # REASON
	loaded=""
	[ -s "$WORK/ifconfig" ] || read_interfaces
	[ -f "$WORK/links" ] || describe_links
	# Filled in for the links of now, as the templates are: the Mac may have moved to another interface.
	if [ -f "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES" ] &&
		fill_template "$STATE_DIR/$KS_FILE_FAIL_CLOSED_RULES" "" "$NOW" "$WORK/links" >"$WORK/fail-closed.now" &&
		rules_complete "$WORK/fail-closed.now" && pf -n -a "$KS_ANCHOR" -f "$WORK/fail-closed.now" && load "$WORK/fail-closed.now"; then
		loaded="the fail-closed rules (VPN servers and link plumbing only)"
	else
		builtin_fail_closed_rules "$WORK/links" >"$WORK/built-in.pf"
		if load "$WORK/built-in.pf"; then loaded="the built-in fail-closed rules (link plumbing only)"; fi
	fi
	if [ -z "$loaded" ]; then
		write_watchdog_status failed "$1; no blocking rules could be loaded in their place: $(pf_message)" no
		return 1
	fi
	if ! attach && ! attach_alone; then
		write_watchdog_status failed "$1; $loaded are loaded but cannot be put ahead of the other pf rules: $ATTACH_PROBLEM" no
		return 1
	fi
	if ! hold_reference; then
		write_watchdog_status failed "$1; $loaded are loaded but pf could not be enabled: $(pf_message)" no
		return 1
	fi
	FAILED_CLOSED=yes
	TUNNELS=""
	note_phase
	note_processes
	SERVER_ADDRESSES=$(state_values list:serverAddresses)
	withdraw_states
	write_watchdog_status failed "$1; blocking with $loaded" no
	return 1
}

#!/bin/sh
# VPN Kill Switch: everything the product does as root, in one POSIX sh script. The same text is the
# boot-time watchdog: Enable with "Protect from startup" installs it as <state dir>/watchdog.sh, and a
# LaunchDaemon runs its `watch` action at boot, every few seconds and on network changes.
#
# Each user action runs it exactly once, behind one administrator prompt:
#   /bin/sh -c "<this script>" killswitch-root ACTION SYSTEM_ROOT [OPTIONS...]
# launchd runs the installed copy:
#   /bin/sh "<state dir>/watchdog.sh" watch SYSTEM_ROOT
#
#   ACTION        enable | apply: load the rules, keep the watchdog's rule templates, install or remove it
#                 clear-log: empty the record of blocked traffic, and go on recording
#                 disable: remove our rules, our pf reference, the watchdog and our files
#                 uninstall: disable, and remove every file of ours whatever state it is in
#                 watch (the watchdog): blocking rules in force first, with pfctl alone; then put the kill
#                 switch back as recorded, following tunnel and network
#                 inspect: print the network and tunnels the watchdog sees and the rules it would load;
#                 changes nothing, needs no root
#   SYSTEM_ROOT   "" on a Mac. Tests name a fake macOS tree here, so this very script runs the fake
#                 pfctl and writes under the fake /Library. It only chooses which programs and files are
#                 used, which whoever can start this script as root could do anyway.
# Options of enable and apply:
#   --rules TEXT              the anchor's pf rules to load now; must end with a newline
#   --tunnel NAME             a tunnel the rules let through, recorded for the status (repeatable)
#   --kill SRC DST            kill pf states from SRC to DST, addresses or CIDR networks (repeatable)
#   --other-rules TEXT        the watchdog's rule template for any network not named below
#   --fail-closed-rules TEXT  what the watchdog loads when the rules it should load are missing, corrupt or
#                             refused: the VPN servers and link plumbing only (fail-closed.pf)
#   --network-rules ID SECURITY TEXT  the template for the network whose identity is ID on a link protected
#                             as SECURITY (a Wi-Fi mode such as WPA2_PSK, wired, or protected: wired or a
#                             Wi-Fi that needs a key); the first that fits is used (repeatable)
#   --fixed-tunnel NAME       the templates let through this tunnel only (the user named it): never follow others
#   --trusted-tunnel NAME     the templates also let through this tunnel when it is up (repeatable)
#   --network ID              the network the rules were built for, recorded for the status
#   --portal-until SECONDS    a captive portal window in the rules closes then, or once the time until then has
#                             passed if the clock is set back: a root timer closes it (68-windows.sh)
#   --resolved HOST ADDRESSES HOST resolved to these comma-separated addresses (kept for when DNS is blocked)
#   --server-name HOST ADDRESSES  a VPN server's host name and its addresses (comma-separated, each a --server-address):
#                             answered on the Mac from a block of ours in /etc/hosts while the kill switch is on, so a
#                             VPN app can look its server up again with DNS blocked (58-names.sh)
#   --server-address ADDRESS  a VPN server's address (any origin): its connections are never cut (repeatable)
#   --server SPEC             a VPN server proved or answered for (IP:PORT/PROTO, [IPv6]:PORT/PROTO, IP/ikev2, then
#                             @process or @user), or an address declined (IP@declined), recorded so a later Enable
#                             with the VPN down still passes it and asks nothing again (repeatable)
#   --startup SCRIPT          install the watchdog, SCRIPT being this script's text; without it, remove it
#   --capture-limit MB        record what pf blocks in MB megabytes (0: do not, and remove the recording)
#
# Rule templates are pf text in which lines starting with "#@@ " are filled in by the watchdog:
#   #@@ tunnels-none:TEXT     TEXT when no VPN tunnel is up
#   #@@ tunnels-some:TEXT     TEXT when one is, @TUNNEL@ replaced by the tunnels' names joined by ", "
#   #@@ each-tunnel:TEXT      TEXT once per tunnel let through, @TUNNEL@ replaced by its name
# The tunnels let through are the trusted ones that are up: the one carrying the routes to the Internet
# in `netstat -rn` (default, or both halves) first, a ppp one only while connected L2TP/PPTP services
# account for it (`scutil --nc list`), then those --trusted-tunnel named.
#   #@@ until=SECONDS:TEXT    TEXT until then, by the wall clock and by elapsed time (a captive portal window,
#                             an exception that ends; see 68-windows.sh)
#   #@@ each-link:TEXT        consecutive lines so marked are one block, written once per physical link
#                             (en, bridge, ap, vmnet with an address or an active link), @LINK@ its name
#   #@@ each-subnet:TEXT      inside such a block: consecutive lines written once per network the link is
#                             attached to, @SUBNET@ the network, @AF@ its family (inet or inet6)
#   #@@ each-dhcp:TEXT        inside such a block: TEXT when the link's DHCP server is on the link, @DHCP@ it
#   #@@ subnet-route=ROUTE:TEXT  among the each-subnet lines: TEXT for each network of the link that ROUTE
#                             (routed into the tunnel) lies inside
#   #@@ network-link:TEXT     TEXT with @NETLINK@ the interface of the network the template was chosen for
#                             (its router's): that network's own exceptions; left out on any other network
#   #@@ network-link-until=SECONDS:TEXT  the same, until then
# The links are read as src/network reads them, so a filled-in template is the builder's text for the
# links of the moment: the Mac may move from Wi-Fi to Ethernet, or to another network, after Enable.
# Unfilled, every marker is a comment, so a template loaded as it is blocks everything but link plumbing.
#
# Exit status: 0 done, else one of the KS_EXIT_... below (from src/privileged/root-contract.json).
# Standard output: a report read back from pf after the change, in sections that start with "@@ ".
#
# Every value arrives as an argument and is only ever expanded inside double quotes: nothing given to
# this script is evaluated as shell text.
#
# The source is in parts, one concern each (src/privileged/root-script/NN-*.sh: checks, records, boot, pf,
# states, network, names, rules, capture, windows, watchdog, actions, main), joined in order into the one script that
# ships by scripts/generate-root-script.mjs, which also writes the names shared with TypeScript after this part.
# Past this opening block the shipped script leaves the parts' comment lines out (it travels as one
# argument); they are read in the parts.

set -u
# Root's alone unless made readable on purpose: the rules, templates and records of networks name the
# user's routers, subnets and exception labels. Only what the status shows is world-readable (0644).
umask 077
# System directories only (read-only under SIP); pf's own programs are called by absolute path.
PATH=/bin:/usr/bin:/sbin:/usr/sbin
export PATH
LC_ALL=C
export LC_ALL

KS_ID=com.vpnkillswitch.raycast
# A child of com.apple: the stock main ruleset's `anchor "com.apple/*"` evaluates children in path
# order, so 000.* runs before Apple's 200.AirDrop and 250.ApplicationFirewall, and attaching needs no
# change to the main ruleset. A child also survives a reload of the main ruleset (pf keeps non-empty
# rulesets), where a line of ours at the top of the main ruleset would be wiped by it.
KS_ANCHOR=com.apple/000.vpnkillswitch
KS_STATE_DIR="/Library/Application Support/$KS_ID"
KS_LAUNCH_DAEMON="/Library/LaunchDaemons/$KS_ID.plist"
# Written into watchdog.json, so the status can tell an outdated watchdog.
KS_VERSION=2
# Seconds between two watchdog checks (launchd StartInterval); the status calls it stale after three.
KS_WATCHDOG_INTERVAL=10

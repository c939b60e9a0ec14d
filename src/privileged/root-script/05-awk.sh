# --- The awk functions the parsers share, defined once: each awk program that needs them starts with
# "$AWK_LIB", so an address is read the same way everywhere (and the same way src/address/ip.ts does)

# v4(A)            A as a number, or -1 when it is not a dotted IPv4 address
# v6(A)            A (zone dropped) as 32 lower-case hex digits, or "" when it is not an IPv6 address
# within(A, SPEC)  1 when A is in SPEC (an address or CIDR network), 0 when not, -1 when either is unreadable
# mask_bits(MASK)  the prefix length of a netmask (0xffffff00 or 255.255.255.0), or -1 when not contiguous
# dotted(N)        the IPv4 address N as text
# slash64(A)       the /64 that holds the IPv6 address A, as network/derive.ts prints it (2001:db8:5:0::/64)
# local_space(NET) 1 when the network NET (A/N) lies in private, link-local or unique-local space
#                  (address/local-space.ts's LOCAL_RANGES), 0 when not
# normal(TEXT)     the MAC in TEXT in normal form (network/mac-address.ts), or "" when TEXT is none
AWK_LIB='
	function v4(a,   p, i) {
		if (split(a, p, ".") != 4) return -1
		for (i = 1; i <= 4; i++) if (p[i] !~ /^[0-9]+$/ || p[i] > 255) return -1
		return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4]
	}
	function pad4(g) {
		if (g == "" || length(g) > 4 || g ~ /[^0-9A-Fa-f]/) return "?"
		while (length(g) < 4) g = "0" g
		return g
	}
	function v6(a,   halves, n, head, tail, nh, nt, i, out) {
		sub(/%.*/, "", a)
		if (a !~ /:/ || a ~ /[^0-9A-Fa-f:]/) return ""
		n = split(a, halves, "::")
		if (n > 2) return ""
		nh = halves[1] == "" ? 0 : split(halves[1], head, ":")
		nt = (n == 2 && halves[2] != "") ? split(halves[2], tail, ":") : 0
		if ((n == 1 && nh != 8) || (n == 2 && nh + nt > 7)) return ""
		out = ""
		for (i = 1; i <= nh; i++) out = out pad4(head[i])
		for (i = nh + nt; n == 2 && i < 8; i++) out = out "0000"
		for (i = 1; i <= nt; i++) out = out pad4(tail[i])
		return out ~ /\?/ ? "" : tolower(out)
	}
	function within(a, spec,   parts, bits, x, y, digits, rest, cx, cy) {
		if (split(spec, parts, "/") == 1) parts[2] = spec ~ /:/ ? 128 : 32
		bits = parts[2]
		if (bits !~ /^[0-9]+$/) return -1
		if ((a ~ /:/) != (parts[1] ~ /:/)) return 0
		if (a !~ /:/) {
			x = v4(a); y = v4(parts[1])
			if (x < 0 || y < 0 || bits > 32) return -1
			return int(x / 2 ^ (32 - bits)) == int(y / 2 ^ (32 - bits))
		}
		x = v6(a); y = v6(parts[1])
		if (x == "" || y == "" || bits > 128) return -1
		digits = int(bits / 4)
		if (substr(x, 1, digits) != substr(y, 1, digits)) return 0
		rest = bits % 4
		if (rest == 0) return 1
		cx = index("0123456789abcdef", substr(x, digits + 1, 1)) - 1
		cy = index("0123456789abcdef", substr(y, digits + 1, 1)) - 1
		return int(cx / 2 ^ (4 - rest)) == int(cy / 2 ^ (4 - rest))
	}
	function mask_bits(mask,   hex, i, c, value, bits, seen0, n) {
		if (v4(mask) >= 0) {
			n = v4(mask); bits = 0; seen0 = 0
			for (c = 2147483648; c >= 1; c = c / 2) {
				if (n >= c) { if (seen0) return -1; bits++; n -= c }
				else seen0 = 1
			}
			return bits
		}
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
	function slash64(a,   x, out, i, g) {
		x = v6(a)
		if (x == "") return ""
		out = ""
		for (i = 0; i < 4; i++) {
			g = substr(x, i * 4 + 1, 4); sub(/^0+/, "", g)
			out = out (i > 0 ? ":" : "") (g == "" ? "0" : g)
		}
		return out "::/64"
	}
	function local_space(net,   p, ranges, r, n, i) {
		if (split(net, p, "/") != 2 || p[2] !~ /^[0-9]+$/) return 0
		n = split("10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 fe80::/10 fc00::/7", ranges, " ")
		for (i = 1; i <= n; i++) {
			split(ranges[i], r, "/")
			if (p[2] + 0 >= r[2] + 0 && within(p[1], ranges[i]) == 1) return 1
		}
		return 0
	}
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

/**
 * A Mac on home Wi-Fi with an OpenVPN tunnel up, for `preview` where there is no Mac to ask.
 * Assembled from real output formats, addresses are examples (192.168.1.0/24 LAN, 2001:db8::/32 and
 * 198.51.100.0/24 documentation ranges for the public side).
 *
 * - en0: Wi-Fi 192.168.1.23/24, router 192.168.1.1 (MAC printed without leading zeros, as arp and netstat do);
 * - utun0-3: macOS's own tunnels, IPv6 link-local only; awdl0/llw0: AirDrop and Continuity;
 * - utun4: the VPN, 10.8.0.2, with `0/1` and `128.0/1` via 10.8.0.1 and the server 198.51.100.7 pinned to the
 *   router by a /32 host route; `default` stays on en0, as OpenVPN and wg-quick leave it;
 * - DNS: resolver #1 is the VPN's 10.8.0.1; the router answers only scoped queries;
 * - sockets: OpenVPN's UDP socket connected to 198.51.100.7 port 1194, and a web connection inside the tunnel.
 */
import type { NetworkSnapshot } from "./snapshot";

/** `ifconfig -a` */
const IFCONFIG = `lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384
\toptions=1203<RXCSUM,TXCSUM,TXSTATUS,SW_TIMESTAMP>
\tinet 127.0.0.1 netmask 0xff000000
\tinet6 ::1 prefixlen 128
\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1
\tnd6 options=201<PERFORMNUD,DAD>
gif0: flags=8010<POINTOPOINT,MULTICAST> mtu 1280
stf0: flags=0<> mtu 1280
anpi1: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=400<CHANNEL_IO>
\tether 9a:1c:40:5e:21:0b
\tmedia: none
\tstatus: inactive
anpi0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=400<CHANNEL_IO>
\tether 9a:1c:40:5e:21:0a
\tmedia: none
\tstatus: inactive
en4: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=400<CHANNEL_IO>
\tether 9a:1c:40:5e:21:64
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: none
\tstatus: inactive
en1: flags=8963<UP,BROADCAST,SMART,RUNNING,PROMISC,SIMPLEX,MULTICAST> mtu 1500
\toptions=460<TSO4,TSO6,CHANNEL_IO>
\tether 5a:10:3f:72:9c:40
\tmedia: autoselect <full-duplex>
\tstatus: inactive
en2: flags=8963<UP,BROADCAST,SMART,RUNNING,PROMISC,SIMPLEX,MULTICAST> mtu 1500
\toptions=460<TSO4,TSO6,CHANNEL_IO>
\tether 5a:10:3f:72:9c:44
\tmedia: autoselect <full-duplex>
\tstatus: inactive
bridge0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=63<RXCSUM,TXCSUM,TSO4,TSO6>
\tether 5a:10:3f:72:9c:40
\tConfiguration:
\t\tid 0:0:0:0:0:0 priority 0 hellotime 0 fwddelay 0
\t\tmaxage 0 holdcnt 0 proto stp maxaddr 100 timeout 1200
\t\troot id 0:0:0:0:0:0 priority 0 ifcost 0 port 0
\t\tipfilter disabled flags 0x0
\tmember: en1 flags=3<LEARNING,DISCOVER>
\t        ifmaxaddr 0 port 7 priority 0 path cost 0
\tmember: en2 flags=3<LEARNING,DISCOVER>
\t        ifmaxaddr 0 port 8 priority 0 path cost 0
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: <unknown type>
\tstatus: inactive
ap1: flags=8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500
\toptions=400<CHANNEL_IO>
\tether 3e:22:fb:5e:8a:01
\tmedia: autoselect
\tstatus: inactive
en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=6460<TSO4,TSO6,CHANNEL_IO,PARTIAL_CSUM,ZEROINVERT_CSUM>
\tether 3c:22:fb:5e:8a:01
\tinet6 fe80::1c8b:4f2a:9d3e:71b5%en0 prefixlen 64 secured scopeid 0xb
\tinet 192.168.1.23 netmask 0xffffff00 broadcast 192.168.1.255
\tinet6 2001:db8:1a2b:10:1849:8e2:c3d1:5a07 prefixlen 64 autoconf secured
\tinet6 2001:db8:1a2b:10:9d4:6b11:e0c2:3f88 prefixlen 64 autoconf temporary
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: autoselect
\tstatus: active
awdl0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=6460<TSO4,TSO6,CHANNEL_IO,PARTIAL_CSUM,ZEROINVERT_CSUM>
\tether 6a:91:3b:cc:02:7e
\tinet6 fe80::6891:3bff:fecc:27e%awdl0 prefixlen 64 scopeid 0xc
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: autoselect
\tstatus: active
llw0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=400<CHANNEL_IO>
\tether 6a:91:3b:cc:02:7e
\tinet6 fe80::6891:3bff:fecc:27e%llw0 prefixlen 64 scopeid 0xd
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: autoselect
\tstatus: active
utun0: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1500
\tinet6 fe80::a31c:6e02:94d7:1f5b%utun0 prefixlen 64 scopeid 0xe
\tnd6 options=201<PERFORMNUD,DAD>
utun1: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380
\tinet6 fe80::52e9:c0a4:7b18:e6d3%utun1 prefixlen 64 scopeid 0xf
\tnd6 options=201<PERFORMNUD,DAD>
utun2: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 2000
\tinet6 fe80::d8f2:1b37:4a6c:902e%utun2 prefixlen 64 scopeid 0x10
\tnd6 options=201<PERFORMNUD,DAD>
utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1000
\tinet6 fe80::7b40:e25d:13c9:a8f1%utun3 prefixlen 64 scopeid 0x11
\tnd6 options=201<PERFORMNUD,DAD>
utun4: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1500
\tinet 10.8.0.2 --> 10.8.0.2 netmask 0xffffff00
`;

/** `netstat -rn` */
const NETSTAT_RN = `Routing tables

Internet:
Destination        Gateway            Flags               Netif Expire
0/1                10.8.0.1           UGSc                utun4
default            192.168.1.1        UGScg                 en0
10.8/24            10.8.0.2           UGSc                utun4
10.8.0.2           10.8.0.2           UH                  utun4
127                127.0.0.1          UCS                   lo0
127.0.0.1          127.0.0.1          UH                    lo0
128.0/1            10.8.0.1           UGSc                utun4
169.254            link#11            UCS                   en0      !
192.168.1          link#11            UCS                   en0      !
192.168.1.1/32     link#11            UCS                   en0      !
192.168.1.1        3c:a6:2f:8:1e:7b   UHLWIir               en0   1187
192.168.1.23/32    link#11            UCS                   en0      !
192.168.1.42       a8:5b:78:4:d2:19   UHLWI                 en0    942
192.168.1.255      ff:ff:ff:ff:ff:ff  UHLWbI                en0      !
198.51.100.7/32    192.168.1.1        UGSc                  en0
224.0.0/4          link#11            UmCS                  en0      !
224.0.0/4          link#18            UmCSI               utun4
224.0.0.251        1:0:5e:0:0:fb      UHmLWI                en0
255.255.255.255/32 link#11            UCS                   en0      !

Internet6:
Destination                             Gateway                                 Flags               Netif Expire
default                                 fe80::3ea6:2fff:fe08:1e7b%en0           UGcg                  en0
default                                 fe80::%utun0                            UGcIg               utun0
default                                 fe80::%utun1                            UGcIg               utun1
default                                 fe80::%utun2                            UGcIg               utun2
default                                 fe80::%utun3                            UGcIg               utun3
::1                                     ::1                                     UHL                   lo0
2001:db8:1a2b:10::/64                   link#11                                 UC                    en0
2001:db8:1a2b:10::1                     3c:a6:2f:8:1e:7b                        UHLWIi                en0
2001:db8:1a2b:10:1849:8e2:c3d1:5a07     3c:22:fb:5e:8a:1                        UHL                   lo0
2001:db8:1a2b:10:9d4:6b11:e0c2:3f88     3c:22:fb:5e:8a:1                        UHL                   lo0
fe80::%lo0/64                           fe80::1%lo0                             UcI                   lo0
fe80::1%lo0                             link#1                                  UHLI                  lo0
fe80::%en0/64                           link#11                                 UCI                   en0
fe80::1c8b:4f2a:9d3e:71b5%en0           3c:22:fb:5e:8a:1                        UHLI                  lo0
fe80::3ea6:2fff:fe08:1e7b%en0           3c:a6:2f:8:1e:7b                        UHLWIir               en0
fe80::%awdl0/64                         link#12                                 UCI                 awdl0
fe80::6891:3bff:fecc:27e%awdl0          6a:91:3b:cc:2:7e                        UHLI                  lo0
fe80::%llw0/64                          link#13                                 UCI                  llw0
fe80::6891:3bff:fecc:27e%llw0           6a:91:3b:cc:2:7e                        UHLI                  lo0
fe80::%utun0/64                         fe80::a31c:6e02:94d7:1f5b%utun0         UcI                 utun0
fe80::a31c:6e02:94d7:1f5b%utun0         link#14                                 UHLI                  lo0
fe80::%utun1/64                         fe80::52e9:c0a4:7b18:e6d3%utun1         UcI                 utun1
fe80::52e9:c0a4:7b18:e6d3%utun1         link#15                                 UHLI                  lo0
fe80::%utun2/64                         fe80::d8f2:1b37:4a6c:902e%utun2         UcI                 utun2
fe80::d8f2:1b37:4a6c:902e%utun2         link#16                                 UHLI                  lo0
fe80::%utun3/64                         fe80::7b40:e25d:13c9:a8f1%utun3           UcI                 utun3
fe80::7b40:e25d:13c9:a8f1%utun3           link#17                                 UHLI                  lo0
ff00::/8                                ::1                                     UmCI                  lo0
ff00::/8                                link#11                                 UmCI                  en0
ff00::/8                                link#12                                 UmCI                awdl0
ff00::/8                                link#13                                 UmCI                 llw0
ff00::/8                                fe80::a31c:6e02:94d7:1f5b%utun0         UmCI                utun0
ff00::/8                                fe80::52e9:c0a4:7b18:e6d3%utun1         UmCI                utun1
ff00::/8                                fe80::d8f2:1b37:4a6c:902e%utun2         UmCI                utun2
ff00::/8                                fe80::7b40:e25d:13c9:a8f1%utun3           UmCI                utun3
`;

/** `route -n get default` */
const ROUTE_GET_DEFAULT = `   route to: default
destination: default
       mask: default
    gateway: 192.168.1.1
  interface: en0
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING,GLOBAL>
 recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire
       0         0         0         0         0         0      1500         0 
`;

/** `route -n get 1.1.1.1` */
const ROUTE_GET_INTERNET = `   route to: 1.1.1.1
destination: default
       mask: 128.0.0.0
    gateway: 10.8.0.1
  interface: utun4
      flags: <UP,GATEWAY,DONE,STATIC,PRCLONING>
 recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire
       0         0         0         0         0         0      1500         0 
`;

/** `scutil --nwi` */
const SCUTIL_NWI = `Network information

IPv4 network interface information
     en0 : flags      : 0x5 (IPv4,DNS)
           address    : 192.168.1.23
           reach      : 0x00000002 (Reachable)
   utun4 : flags      : 0x5 (IPv4,DNS)
           address    : 10.8.0.2
           reach      : 0x00000003 (Reachable,Transient Connection)

   REACH : flags 0x00000002 (Reachable)

IPv6 network interface information
     en0 : flags      : 0x2 (IPv6)
           address    : 2001:db8:1a2b:10:1849:8e2:c3d1:5a07
           reach      : 0x00000002 (Reachable)

   REACH : flags 0x00000002 (Reachable)

Network interfaces: en0 utun4
`;

/** `scutil --dns` */
const SCUTIL_DNS = `DNS configuration

resolver #1
  nameserver[0] : 10.8.0.1
  if_index : 18 (utun4)
  flags    : Request A records
  reach    : 0x00000003 (Reachable,Transient Connection)

resolver #2
  domain   : local
  options  : mdns
  timeout  : 5
  flags    : Request A records
  reach    : 0x00000000 (Not Reachable)
  order    : 300000

resolver #3
  domain   : 254.169.in-addr.arpa
  options  : mdns
  timeout  : 5
  flags    : Request A records
  reach    : 0x00000000 (Not Reachable)
  order    : 300200

resolver #4
  domain   : 8.e.f.ip6.arpa
  options  : mdns
  timeout  : 5
  flags    : Request A records
  reach    : 0x00000000 (Not Reachable)
  order    : 300400

resolver #5
  domain   : 9.e.f.ip6.arpa
  options  : mdns
  timeout  : 5
  flags    : Request A records
  reach    : 0x00000000 (Not Reachable)
  order    : 300600

resolver #6
  domain   : a.e.f.ip6.arpa
  options  : mdns
  timeout  : 5
  flags    : Request A records
  reach    : 0x00000000 (Not Reachable)
  order    : 300800

resolver #7
  domain   : b.e.f.ip6.arpa
  options  : mdns
  timeout  : 5
  flags    : Request A records
  reach    : 0x00000000 (Not Reachable)
  order    : 301000

DNS configuration (for scoped queries)

resolver #1
  nameserver[0] : 192.168.1.1
  if_index : 11 (en0)
  flags    : Scoped, Request A records
  reach    : 0x00020002 (Reachable,Directly Reachable Address)

resolver #2
  nameserver[0] : 10.8.0.1
  if_index : 18 (utun4)
  flags    : Scoped, Request A records
  reach    : 0x00000003 (Reachable,Transient Connection)
`;

/** `scutil --nc list` */
const SCUTIL_NC_LIST = `Available network connection services in the current set (*=enabled):
`;

/** `arp -an` */
const ARP_AN = `? (192.168.1.1) at 3c:a6:2f:8:1e:7b on en0 ifscope [ethernet]
? (192.168.1.23) at 3c:22:fb:5e:8a:1 on en0 ifscope permanent [ethernet]
? (192.168.1.42) at a8:5b:78:4:d2:19 on en0 ifscope [ethernet]
? (192.168.1.255) at ff:ff:ff:ff:ff:ff on en0 ifscope [ethernet]
? (224.0.0.251) at 1:0:5e:0:0:fb on en0 ifscope permanent [ethernet]
`;

/** `netstat -anv` (macOS 26 columns; the UDP row follows the TCP rows' layout without a state) */
const NETSTAT_ANV = `Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)          rxbytes      txbytes  rhiwat  shiwat          process:pid    state  options           gencnt    flags   flags1 usecnt rtncnt fltrs
tcp4       0      0  10.8.0.2.50112         93.184.216.34.443      ESTABLISHED        48213         6120  131072  131768          Safari:812  00102 00000008 0000000000a3c1f2 00000080 04000900      1      0 000004
tcp4       0      0  127.0.0.1.49515        127.0.0.1.49472        ESTABLISHED       118268        40208  408008  146988   openvpn-helper:540  00002 00000000 000000000025c5ff 00000081 04000800      3      0 000000
udp4       0      0  192.168.1.23.50001     198.51.100.7.1194                       9912044      1822370  786896    9216         openvpn:611  00000 00000000 0000000000a3b077 00000000 00000800      1      0 000000
`;

/** `ipconfig getsummary en0` (macOS before 15.6 still shows the SSID) */
const IPCONFIG_GETSUMMARY_EN0 = `<dictionary> {
  Hashed-BSSID : 5e:31:a2:0c:77:d4
  IPv4 : <array> {
    0 : <dictionary> {
      Addresses : <array> {
        0 : 192.168.1.23
      }
      ChildServiceID : LINKLOCAL-en0
      ConfigMethod : DHCP
      IsPublished : TRUE
      Router : 192.168.1.1
      RouterARPVerified : TRUE
      ServiceID : 7D3B2F10-5C4A-4E8B-9A61-2F0C8D4E1B37
      SubnetMasks : <array> {
        0 : 255.255.255.0
      }
    }
    1 : <dictionary> {
      ConfigMethod : LinkLocal
      IsPublished : TRUE
      ParentServiceID : 7D3B2F10-5C4A-4E8B-9A61-2F0C8D4E1B37
      ServiceID : LINKLOCAL-en0
    }
  }
  IPv6 : <array> {
    0 : <dictionary> {
      ConfigMethod : Automatic
      IsPublished : TRUE
      ServiceID : 7D3B2F10-5C4A-4E8B-9A61-2F0C8D4E1B37
    }
  }
  InterfaceType : WiFi
  LinkStatusActive : TRUE
  NetworkID : 6A0E4C52-93B1-4D7F-8C2A-51E7B90D3F64
  SSID : Example Home
  Security : WPA2_PSK
}
`;

/** `ipconfig getpacket en0`, in the layout of a real one (ipconfig/getpacket-en7_isc-dhcpd_linux-router-blog.txt): the router leases the address. */
const IPCONFIG_GETPACKET_EN0 = `op = BOOTREPLY
htype = 1
flags = 0x0
hlen = 6
hops = 0
xid = 0x5c1e9a27
secs = 0
ciaddr = 192.168.1.23
yiaddr = 192.168.1.23
siaddr = 0.0.0.0
giaddr = 0.0.0.0
chaddr = 3c:22:fb:5e:8a:1
sname = 
file = 
options:
Options count is 8
dhcp_message_type (uint8): ACK 0x5
server_identifier (ip): 192.168.1.1
lease_time (uint32): 0x15180
subnet_mask (ip): 255.255.255.0
router (ip_mult): {192.168.1.1}
domain_name_server (ip_mult): {192.168.1.1}
domain_name (string): home
end (none): 
`;

export const SAMPLE_SNAPSHOT: NetworkSnapshot = {
  ifconfig: IFCONFIG,
  netstatRoutes: NETSTAT_RN,
  routeGetDefault: ROUTE_GET_DEFAULT,
  routeGetInternet: ROUTE_GET_INTERNET,
  scutilNwi: SCUTIL_NWI,
  scutilDns: SCUTIL_DNS,
  scutilNcList: SCUTIL_NC_LIST,
  arp: ARP_AN,
  netstatSockets: NETSTAT_ANV,
  ipconfigSummaries: { en0: IPCONFIG_GETSUMMARY_EN0 },
  ipconfigPackets: { en0: IPCONFIG_GETPACKET_EN0 },
};

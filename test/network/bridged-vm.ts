/**
 * A virtual machine bridged to Wi-Fi, as Virtualization.framework (UTM, Tart) makes it: `bridge100` joining `en0`
 * to the VM's `vmenet0`. The block is the real UTM one (ifconfig/macos_utm-host-only_*) with the Wi-Fi as a second
 * member, as a bridged network adds it, and the VM's interface after it.
 */
export const VM_BRIDGED_TO_EN0 = `bridge100: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\toptions=3<RXCSUM,TXCSUM>
\tether 3e:22:fb:5e:8a:64
\tConfiguration:
\t\tid 0:0:0:0:0:0 priority 0 hellotime 0 fwddelay 0
\t\tmaxage 0 holdcnt 0 proto stp maxaddr 100 timeout 1200
\t\troot id 0:0:0:0:0:0 priority 0 ifcost 0 port 0
\t\tipfilter disabled flags 0x0
\tmember: en0 flags=3<LEARNING,DISCOVER>
\t        ifmaxaddr 0 port 11 priority 0 path cost 0
\tmember: vmenet0 flags=3<LEARNING,DISCOVER>
\t        ifmaxaddr 0 port 27 priority 0 path cost 0
\tnd6 options=201<PERFORMNUD,DAD>
\tmedia: autoselect
\tstatus: active
vmenet0: flags=8b63<UP,BROADCAST,SMART,RUNNING,PROMISC,ALLMULTI,SIMPLEX,MULTICAST> mtu 1500
\tether 9e:5a:1b:2c:3d:4e
\tmedia: autoselect
\tstatus: active
`;

export const VM_BRIDGE_NOTE = "a virtual machine bridged to en0 is not filtered by pf (bridge100: en0, vmenet0)";

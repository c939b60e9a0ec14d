export interface NetworkConnectionService {
  enabled: boolean;
  /** `Connected`, `Disconnected`, `Connecting`, ... */
  status: string;
  serviceId: string;
  /** The interface's display name, e.g. `PPP --> L2TP` or `VPN (io.tailscale.ipn.macsys)`. */
  interfaceDisplayName: string;
  name: string;
  /** `PPP`, `VPN`, `IPSec`, ... */
  type: string;
  /** `L2TP`, `PPTP`, the VPN app's bundle id, or null. */
  subtype: string | null;
}

// configd scutil.tproj/nc.c: "%@ %@ %@ %@ %@ [%@%@%@]" = enabled, (status), service id, display name, "name", [type:subtype].
const SERVICE = /^([* ]) +\(([^)]*)\)\s+(\[[^\]]*\]|\S+)\s+(.*?)\s*"(.*)"\s*\[([^\]:]*)(?::([^\]]*))?\]\s*$/;

/** Parses `scutil --nc list`: the VPN services configured in System Settings. */
export function parseScutilNcList(text: string): NetworkConnectionService[] {
  const services: NetworkConnectionService[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = line.match(SERVICE);
    if (!match) continue;
    const [, enabled, status, serviceId, interfaceDisplayName, name, type, subtype] = match;
    services.push({
      enabled: enabled === "*",
      status: status.trim(),
      serviceId,
      interfaceDisplayName,
      name,
      type,
      subtype: subtype || null,
    });
  }
  return services;
}

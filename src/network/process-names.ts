/**
 * `ps -p PID,... -o pid=,comm=`: the program of each pid, for the netstat layouts that print the owner's pid
 * only (before macOS 26). macOS prints `  611 /usr/local/sbin/openvpn`: the pid right-aligned, then the path of
 * the executable (which may hold spaces); pids that are gone are left out.
 */
export function parseProcessNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(\d{1,7})\s+(\S.*?)\s*$/.exec(line);
    if (match) names.set(Number(match[1]), match[2]);
  }
  return names;
}

/** What people read: the program's own name, without its folder. */
export const programName = (comm: string): string => comm.slice(comm.lastIndexOf("/") + 1);

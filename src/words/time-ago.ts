/**
 * How long before `now` a moment was, as the menu bar and Blocked Traffic say it: "just now", "8 s ago" (to the
 * second, for the watchdog's checks every 10 s), "3 min ago", "2 h ago", "1 day ago", "4 days ago".
 */
export function timeAgo(at: string, now: Date, precision: "seconds" | "minutes" = "minutes"): string {
  const seconds = Math.floor((now.getTime() - Date.parse(at)) / 1000);
  if (!(seconds >= (precision === "seconds" ? 1 : 60))) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? "" : "s"} ago`;
}

/**
 * A fixed piece of CPU work the bench measures beside the product's paths, in the same run: a slower or busier
 * machine slows both alike, so a path's time as a ratio to it says how heavy our code is, not how busy the
 * machine was. It does what our paths do most (build rule text, match it with regular expressions, JSON in
 * and out), and never changes with the product.
 */

/** What the reference costs on an idle machine of the kind CI runs on (2 cores), in ms of CPU. */
export const REFERENCE_NOMINAL_MS = 20;

export function referenceWorkload(): number {
  const rule = /^pass out quick on (\w+) inet proto (tcp|udp) from any to (\d+\.\d+\.\d+\.\d+) port (\d+) keep state$/;
  let found = 0;
  for (let round = 0; round < 4; round++) {
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) {
      lines.push(
        `pass out quick on utun${i % 32} inet proto ${i % 3 ? "tcp" : "udp"} from any to 203.0.${round}.${i % 250} port ${1024 + i} keep state`,
      );
    }
    for (const line of lines) if (rule.exec(line)?.[2] === "udp") found++;
    const parsed = JSON.parse(JSON.stringify(lines.map((line, index) => ({ index, line, words: line.split(" ") }))));
    found += parsed.filter((entry: { words: string[] }) => entry.words.length === 14).length;
    lines.sort();
  }
  return found;
}

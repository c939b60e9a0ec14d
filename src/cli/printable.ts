/**
 * Text that came from settings or from the Mac (labels, host names, network names), made safe for a terminal:
 * control characters (newlines, `\r`, ANSI escapes, NUL) are shown as escapes instead of acting.
 */
export function printable(text: string, options: { keepNewlines?: boolean } = {}): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === "\n") return options.keepNewlines ? c : "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

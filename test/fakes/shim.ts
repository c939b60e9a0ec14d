/**
 * The executables of a fake macOS tree: a few lines of sh each, which hand the call to the fake-macOS server
 * (programs/server.ts) and print its answer. A call starts one process, this shell: it takes a free slot of
 * the tree's pool of reply FIFOs (made once, with the tree) by creating the slot's lock file, which only one
 * caller can (noclobber), and the server frees the slot when the caller says it is done.
 */

/** sh single quotes around any text. */
const quoted = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/** Reply FIFOs made with each tree; a call beyond them makes its own. */
export const REPLY_SLOTS = 32;

/** More callers at once than this is a runaway loop, not a test. */
const MAX_SLOTS = 1000;

/**
 * The call: `<slot>.args` holds `<program>\n<pid>\n<ppid>\n<root marker>\n<argc>\n`, then each argument as
 * `<bytes>\n<argument>\n`. The reply on `<slot>.fifo`: `<status> <stdout lines> <stderr lines>`, then those
 * lines (the fake programs print whole lines); a long stdout comes in `<slot>.out`, its count then `file`.
 */
export function shimScript(options: { program: string; callsDirectory: string; door: string }): string {
  const { program, callsDirectory, door } = options;
  return `#!/bin/sh
# Fake macOS ${program}: the fake-macOS server runs it (test/fakes/programs/server.ts).
LC_ALL=C
calls=${quoted(callsDirectory)}
door=${quoted(door)}
if [ ! -p "$door" ] || [ ! -d "$calls" ]; then echo "fake-mac: the fake macOS server is not running" >&2; exit 70; fi
set -C
slot=0
# printf, not the special builtin ":", whose failed redirection would end the shell.
until printf '' 2>/dev/null >"$calls/$slot.lock"; do
	slot=$((slot + 1))
	[ "$slot" -lt ${MAX_SLOTS} ] || { echo "fake-mac: no free reply slot" >&2; exit 70; }
done
set +C
call=$calls/$slot
[ -p "$call.fifo" ] || mkfifo "$call.fifo" || exit 70
{
	printf '%s\\n%s\\n%s\\n%s\\n%s\\n' ${quoted(program)} "$$" "$PPID" "\${FAKE_MAC_UID-}" "$#"
	for arg in "$@"; do printf '%s\\n%s\\n' "\${#arg}" "$arg"; done
} >"$call.args" || exit 70
exec 3<>"$call.fifo"
printf 'call %s\\n' "$call" >>"$door"
read -r status out err <&3 || exit 70
# Long output comes as a file: sh reads a FIFO a byte at a time.
if [ "$out" = file ]; then cat "$call.out"; out=0; fi
while [ "$out" -gt 0 ]; do IFS= read -r line <&3; printf '%s\\n' "$line"; out=$((out - 1)); done
while [ "$err" -gt 0 ]; do IFS= read -r line <&3; printf '%s\\n' "$line" >&2; err=$((err - 1)); done
exec 3<&-
printf 'done %s\\n' "$call" >>"$door"
exit "$status"
`;
}

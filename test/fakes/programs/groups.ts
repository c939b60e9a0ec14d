/**
 * The process groups the fake osascript and sudo start root shells in, and what is still running in each.
 * A group's processes hold a "life line" (an inherited pipe, fd 3) that ends when the last of them does, so
 * the server learns of every change by an event: the shell ends, the life line closes, a sleep begins.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

interface Group {
  root: string;
  pgid: number;
  shellEnded: boolean;
  lifeLineOpen: boolean;
}

const groups: Group[] = [];
let changed: (root: string) => void = () => {};

export function onGroupChange(listener: (root: string) => void): void {
  changed = listener;
}

/** Follows a root shell started detached (its own process group), with a pipe on fd 3 as its life line. */
export function trackGroup(root: string, child: ChildProcess): void {
  if (child.pid === undefined) return;
  const group: Group = { root, pgid: child.pid, shellEnded: false, lifeLineOpen: true };
  groups.push(group);
  child.once("exit", () => {
    group.shellEnded = true;
    changed(root);
  });
  const lifeLine = child.stdio[3];
  lifeLine?.on("data", () => {});
  lifeLine?.once("close", () => {
    group.lifeLineOpen = false;
    changed(root);
  });
}

export function forgetGroups(root: string): void {
  for (let i = groups.length - 1; i >= 0; i--) if (groups[i].root === root) groups.splice(i, 1);
}

/** Members of these process groups now, with their parents, from /proc, zombies left out. */
function members(pgids: Set<number>): { pid: number; ppid: number }[] {
  const found: { pid: number; ppid: number }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && pgids.has(Number(fields[2]))) found.push({ pid: Number(name), ppid: Number(fields[1]) });
  }
  return found;
}

/** Idle: every root shell of `root` has ended, and what they left behind has ended or waits in `sleep`. */
export function groupsIdle(root: string, asleep: { pid: number; ppid: number }[]): boolean {
  const mine = groups.filter((group) => group.root === root);
  if (mine.some((group) => !group.shellEnded)) return false;
  const open = new Set(mine.filter((group) => group.lifeLineOpen).map((group) => group.pgid));
  if (open.size === 0) return true;
  const running = members(open);
  // A sleep waits, and so does every shell above it that waits for it (a command substitution's, a subshell's).
  const parents = new Map(running.map(({ pid, ppid }) => [pid, ppid]));
  const waiting = new Set<number>();
  for (const sleeper of asleep) {
    for (let pid: number | undefined = sleeper.pid; pid !== undefined && !waiting.has(pid); pid = parents.get(pid)) {
      waiting.add(pid);
    }
    waiting.add(sleeper.ppid);
  }
  return running.every(({ pid }) => waiting.has(pid));
}

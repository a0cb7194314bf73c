/**
 * Reduces a V8 `.cpuprofile` (from `node --cpu-prof`) to the functions that took the most time:
 * enough to name the cause of a missed target. Pure: no I/O.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of V8's profile format this reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileHotspot {
  /** `name (file:line)`, with paths shortened to the package or repository-relative part. */
  frame: string;
  /** Milliseconds spent in the function itself. */
  selfMs: number;
  /** Milliseconds spent in the function and everything it called (recursion counted once). */
  totalMs: number;
}

export interface ProfileSummary {
  /** Wall milliseconds the profile covers. */
  wallMs: number;
  /** Milliseconds of samples that were not idle or waiting. */
  busyMs: number;
  /** By self time, largest first. */
  bySelf: ProfileHotspot[];
  /** By total time, largest first; only frames of our own code and libraries, not V8 internals. */
  byTotal: ProfileHotspot[];
}

const IDLE_FRAMES = new Set(["(idle)", "(program)", "(garbage collector)"]);

function shortUrl(url: string): string {
  const nodeModules = url.lastIndexOf("/node_modules/");
  if (nodeModules >= 0) return url.slice(nodeModules + "/node_modules/".length);
  const dist = url.search(/\/(dist|src|bin)\//);
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, "");
}

function frameName(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  return frame.url ? `${name} (${shortUrl(frame.url)}:${frame.lineNumber + 1})` : name;
}

export function summarizeCpuProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfMs = new Map<string, number>();
  const totalMs = new Map<string, number>();
  let busyMs = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: charge it to the sample at i.
    const ms = (deltas[i] ?? 0) / 1000;
    let node = byId.get(samples[i] as number);
    if (!node) continue;
    const leaf = frameName(node.callFrame);
    if (IDLE_FRAMES.has(node.callFrame.functionName)) {
      selfMs.set(leaf, (selfMs.get(leaf) ?? 0) + ms);
      continue;
    }
    busyMs += ms;
    selfMs.set(leaf, (selfMs.get(leaf) ?? 0) + ms);
    const seen = new Set<string>();
    while (node) {
      const name = frameName(node.callFrame);
      if (node.callFrame.url && !seen.has(name)) {
        seen.add(name);
        totalMs.set(name, (totalMs.get(name) ?? 0) + ms);
      }
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
  }
  const rank = (from: Map<string, number>): ProfileHotspot[] =>
    [...from.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame]) => ({
        frame,
        selfMs: Math.round((selfMs.get(frame) ?? 0) * 10) / 10,
        totalMs: Math.round((totalMs.get(frame) ?? 0) * 10) / 10,
      }));
  return {
    wallMs: Math.round((profile.endTime - profile.startTime) / 100) / 10,
    busyMs: Math.round(busyMs * 10) / 10,
    bySelf: rank(selfMs),
    byTotal: rank(totalMs),
  };
}

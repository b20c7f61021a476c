/** What every scenario gets: where the target is, how to bind sources, and how to watch it. */
import type { SourcePool } from '../lib/loopback.js';
import type { ServerProbe } from '../lib/server.js';

export interface BenchContext {
  base: URL;
  host: string;
  port: number;
  sources: SourcePool;
  probe: ServerProbe;
  /** Seconds of offered load per ladder step. */
  stepSeconds: number;
  /** Longest wait for stragglers after a step's last post. */
  drainMs: number;
  /** Unrecorded warm-up before each ladder (0 to skip). */
  warmupSeconds: number;
  /** Pause between ladder steps, letting rate buckets refill. */
  restMs: number;
  log: (line: string) => void;
}

/** A room id nobody else uses: scenario name, run tag, index. */
export function roomId(scenario: string, tag: string, i: number): string {
  return `b-${scenario}-${tag}-${i}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
}

export const runTag = Math.random().toString(36).slice(2, 8);

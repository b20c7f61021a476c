/** What every scenario gets: where the target is, how to bind sources, and how to watch it. */
import type { SourcePool } from '../lib/loopback.js';
import type { Probe } from '../lib/server.js';

/** One relay node the load generator talks to (a single relay is a cluster of one). */
export interface BenchNode {
  base: URL;
  host: string;
  port: number;
}

/** Posts per second per source address: under the relay's 100/s per (IP, room) refill. */
export const PER_SOURCE_RATE = 90;

export interface BenchContext {
  /** The target's name in logs (relay, baseline, cluster, or --name). */
  name?: string;
  /** The first node: everything of a single-node run. */
  base: URL;
  host: string;
  port: number;
  /**
   * Every node of the target (length 1 for a single relay). Scenarios spread subscribers over
   * them and post through a node other than the first subscriber's, so deliveries cross the
   * nodes' shared backend (see nodeForMember / nodeForPosts).
   */
  nodes: BenchNode[];
  sources: SourcePool;
  probe: Probe;
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

/**
 * The node for the k-th member of room r: members of one room alternate over the nodes, and
 * consecutive rooms start on different nodes, so a 2-member room has one member on each.
 */
export function nodeForMember(nodes: number, roomIdx: number, k: number): number {
  return (roomIdx + k) % nodes;
}

/**
 * The node HTTP posts to room r go through: not the node of the room's first member, so with
 * one subscriber per room (ingest) every delivery crosses nodes, and in larger rooms at least
 * half do.
 */
export function nodeForPosts(nodes: number, roomIdx: number): number {
  return (roomIdx + 1) % nodes;
}

/** A context's nodes, built from base URLs (hosts already checked to be loopback). */
export function nodesOf(urls: URL[], connectHost: (u: URL) => string): BenchNode[] {
  return urls.map((base) => ({ base, host: connectHost(base), port: Number(base.port || 80) }));
}

/**
 * Prometheus metrics (prom-client), aggregate only. No label ever carries a room id, sender
 * label, handle, IP, query or body: the labels are a transport, a route pattern, a method, a
 * status and a reason drawn from the fixed error table, so their number is bounded too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERR } from '../../protocol/index.js';

export type MetricsTransport = 'http' | 'ws';

/** What the relay's parts report when scraped, read rather than pushed so hot paths stay bare. */
export interface MetricsSources {
  rooms(): number | Promise<number>;
  /** Open streams by transport on this node. */
  streams(): { sse: number; ws: number };
  /** Parked long-polls on rooms. */
  waiters(): number;
  /** Message frames handed to local subscribers and waiters since start. */
  deliveries(): number;
}

/** Error text → its name in the protocol's error table: the only reject reasons a label can hold. */
const REASONS = new Map<string, string>([
  ...Object.entries(ERR).map(([k, v]) => [v, k] as [string, string]),
  ['internal error', 'internal'],
]);

export function rejectReason(error: string): string {
  return REASONS.get(error) ?? 'other';
}

/** Seconds; long-polls park for up to 90 s, so the top buckets reach past that. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90, 120,
];
const SAMPLE_MS = 1000;

export class RelayMetrics {
  readonly registry = new Registry();
  private readonly postsTotal: Counter<'transport'>;
  private readonly dmsTotal: Counter;
  private readonly claimsTotal: Counter<'outcome'>;
  private readonly rejectsTotal: Counter<'transport' | 'status' | 'reason'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly cpu: Histogram;
  private readonly loopDelay: Histogram;
  private readonly loop: IntervalHistogram;
  private readonly sampler: NodeJS.Timeout;
  private lastCpu = process.cpuUsage();
  private lastWall = process.hrtime.bigint();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'bot2bot_rooms',
      help: 'Rooms held by this relay (by the cluster, with a shared backend)',
      registers,
      async collect() {
        this.set(await sources.rooms());
      },
    });
    new Gauge({
      name: 'bot2bot_streams',
      help: 'Open streams on this node, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        const s = sources.streams();
        this.set({ transport: 'sse' }, s.sse);
        this.set({ transport: 'ws' }, s.ws);
      },
    });
    new Gauge({
      name: 'bot2bot_longpoll_waiters',
      help: 'Parked long-polls on rooms on this node',
      registers,
      collect() {
        this.set(sources.waiters());
      },
    });
    let delivered = 0;
    new Counter({
      name: 'bot2bot_deliveries_total',
      help: 'Messages handed to local streams and long-polls',
      registers,
      collect() {
        const now = sources.deliveries();
        if (now > delivered) this.inc(now - delivered);
        delivered = now;
      },
    });
    this.postsTotal = new Counter({
      name: 'bot2bot_posts_total',
      help: 'Room posts accepted, by transport',
      labelNames: ['transport'],
      registers,
    });
    this.dmsTotal = new Counter({ name: 'bot2bot_dms_total', help: 'Direct messages accepted', registers });
    this.claimsTotal = new Counter({
      name: 'bot2bot_claims_total',
      help: 'Claim requests answered, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.rejectsTotal = new Counter({
      name: 'bot2bot_rejects_total',
      help: 'Refused requests and frames, by transport, status and reason (the error table entry)',
      labelNames: ['transport', 'status', 'reason'],
      registers,
    });
    this.latency = new Histogram({
      name: 'bot2bot_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method and route pattern (streams excluded)',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.cpu = new Histogram({
      name: 'bot2bot_process_cpu_utilization',
      help: 'Process CPU time over wall time, one sample per second (1 = one core busy)',
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1, 1.5, 2],
      registers,
    });
    this.loopDelay = new Histogram({
      name: 'bot2bot_event_loop_delay_seconds',
      help: 'Worst event-loop delay in each one-second sample',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    // Known label values start at 0, so a scraper sees each series before its first event.
    for (const transport of ['http', 'ws'] as const) this.postsTotal.inc({ transport }, 0);
    for (const outcome of ['claimed', 'empty']) this.claimsTotal.inc({ outcome }, 0);
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS);
    this.sampler.unref();
  }

  post(transport: MetricsTransport): void {
    this.postsTotal.inc({ transport });
  }

  dm(): void {
    this.dmsTotal.inc();
  }

  claim(hit: boolean): void {
    this.claimsTotal.inc({ outcome: hit ? 'claimed' : 'empty' });
  }

  reject(transport: MetricsTransport, status: number, error: string): void {
    this.rejectsTotal.inc({ transport, status: String(status), reason: rejectReason(error) });
  }

  /** Times the request until its answer is sent. `route` is a pattern, never the raw path. */
  track(res: ServerResponse, method: string, route: string): void {
    const t0 = process.hrtime.bigint();
    res.once('finish', () =>
      this.latency.observe({ method, route }, Number(process.hrtime.bigint() - t0) / 1e9),
    );
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  close(): void {
    clearInterval(this.sampler);
    this.loop.disable();
  }

  private sample(): void {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = Number(wall - this.lastWall) / 1000;
    if (wallUs > 0) this.cpu.observe((cpu.user + cpu.system) / wallUs);
    this.lastCpu = process.cpuUsage();
    this.lastWall = wall;
    this.loopDelay.observe(this.loop.max / 1e9);
    this.loop.reset();
  }
}

/** A bearer-token check; comparing digests keeps the token's length and prefix out of the timing. */
export function bearerOk(req: IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(req.headers.authorization ?? ''), digest(`Bearer ${token}`));
}

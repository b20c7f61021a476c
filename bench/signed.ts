/**
 * What a signature costs the relay: signed room posts over HTTP and WebSocket next to unsigned
 * ones, the claim/ack loop, signed and unsigned DMs, and registration, each a short closed loop,
 * with the relay's CPU time per operation read from /proc. One native Ed25519 verification is
 * timed in the same run, so the target "a signed post costs at most an unsigned post plus one
 * verification" is checked against this machine as it is now.
 *
 *   npx tsx bench/signed.ts [--seconds 3] [--rate 2000] [--slices 3] [--concurrency 8] [--no-pin]
 *
 * Starts its own relay (through tsx) on a free loopback port, pinned to core 0 with the load on
 * core 1, with the per-address rate limits raised so that they are not what is measured. Every
 * connection has its own 127.x.y.z source address. Each scenario is offered the same fixed rate,
 * since CPU per request falls as load rises (more work per wake-up), and a signed scenario and
 * its unsigned twin take turns in `--slices` slices so that drift on a shared machine lands on
 * both. Costs are CPU time, not wall time, so being descheduled by other processes does not
 * count; contention still shows through caches and clock speed.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import nacl from 'tweetnacl';
import WebSocket from 'ws';
import {
  dmEnvelopeHash,
  dmText,
  registerText,
  requestText,
  roomMessageText,
  sha256Hex,
} from '../protocol/index.js';
import { NativeVerifier, sha256HexNative } from '../relay/identity/nativeSig.js';
import { NonceCache } from '../relay/identity/nonceCache.js';
import { verifyRoomPostSignature } from '../relay/identity/verify.js';
import { HttpConn } from './lib/httpConn.js';
import { SourcePool } from './lib/loopback.js';
import { ServerProbe, canConnect, freePort, machineBusyMs, pinSelf, spawnTracked } from './lib/server.js';
import { Histogram, round, sleep, type LatencySummary } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    slices: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    'no-pin': { type: 'boolean' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const CONC = Number(args.concurrency);
if (!(SECONDS > 0 && SECONDS <= 30) || !(CONC >= 1 && CONC <= 64))
  throw new Error('--seconds in (0, 30], --concurrency in [1, 64]');
const PIN = !args['no-pin'];
const RATE = Number(args.rate);
const SLICES = Number(args.slices);
if (!(RATE > 0 && RATE <= 100_000) || !(SLICES >= 1 && SLICES <= 20))
  throw new Error('--rate in (0, 100000], --slices in [1, 20]');

/** A signing identity on the load side; node:crypto keeps signing cheap for the generator. */
interface Signer {
  handle: string;
  pub: string;
  key: KeyObject;
  sign(text: string): string;
}

function newSigner(handle: string): Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return {
    handle,
    pub: raw.toString('base64'),
    key: privateKey,
    sign: (t) => sign(null, Buffer.from(t, 'utf8'), privateKey).toString('base64'),
  };
}

const b64 = (n: number) => randomBytes(n).toString('base64');
const sigNonce = () => randomBytes(18).toString('base64url');
const ciphertext = () => b64(200);

interface Row {
  scenario: string;
  ops: number;
  errors: number;
  opsPerS: number;
  relayCpuUsPerOp: number | null;
  latency: LatencySummary;
  firstError?: string;
}

/**
 * Values built per worker before a slice starts, so that the generator's own signing neither
 * limits the offered rate nor lands inside the timed window. Taken oldest first, so timestamps
 * reach the relay in order.
 */
class Ahead<T> {
  private readonly queues: T[][] = Array.from({ length: CONC }, () => []);
  private readonly next: number[] = new Array<number>(CONC).fill(0);

  constructor(private readonly make: (w: number) => T) {}

  readonly prepare = (perWorker: number): void => {
    for (let w = 0; w < CONC; w++) {
      const q: T[] = [];
      for (let i = 0; i < perWorker; i++) q.push(this.make(w));
      this.queues[w] = q;
      this.next[w] = 0;
    }
  };

  take(w: number): T {
    const q = this.queues[w]!;
    const i = this.next[w]!;
    if (i >= q.length) return this.make(w);
    this.next[w] = i + 1;
    return q[i]!;
  }
}

/** A scenario's totals over its slices. */
interface Acc {
  hist: Histogram;
  ops: number;
  errors: number;
  seconds: number;
  cpuMs: number | null;
  firstError?: string;
}

async function startRelay(): Promise<{ url: URL; probe: ServerProbe; stop: () => void }> {
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    ACCESS_LOG: '0',
    ROOM_RL_CAP: '1000000',
    ROOM_RL_REFILL_PER_SEC: '1000000',
    GLOBAL_RL_CAP: '1000000',
    GLOBAL_RL_REFILL_PER_SEC: '1000000',
    WAITER_CAP_PER_IP: '1000',
  };
  const argv = [
    ...(PIN ? ['taskset', '-c', '0'] : []),
    process.execPath,
    '--import',
    'tsx',
    path.join(ROOT, 'relay/main.ts'),
  ];
  const child = spawnTracked(argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('relay did not start');
    await sleep(100);
  }
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    probe: new ServerProbe(child.pid ?? null),
    stop: () => child.kill('SIGINT'),
  };
}

/**
 * Offer `op` at RATE per second, spread over `CONC` connections, for `seconds`; `op(worker)`
 * resolves to an error text or null. The relay's CPU over the same interval, divided by completed
 * operations, is the cost per op. A worker whose op outlasts its slot goes on at once.
 */
async function paced(
  acc: Acc,
  seconds: number,
  probe: ServerProbe,
  op: (w: number) => Promise<string | null>,
): Promise<void> {
  const cpu0 = probe.cpuMs();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const gapMs = (1000 * CONC) / RATE;
  await Promise.all(
    Array.from({ length: CONC }, async (_, w) => {
      let next = t0 + (w * gapMs) / CONC;
      while (next < end) {
        const wait = next - performance.now();
        if (wait > 1) await sleep(wait);
        next += gapMs;
        const s = performance.now();
        const err = await op(w);
        if (err) {
          acc.errors++;
          acc.firstError ??= err;
          if (acc.errors > 50) return;
          continue;
        }
        acc.hist.add(performance.now() - s);
        acc.ops++;
      }
    }),
  );
  // Let the relay finish what the last ops started before reading its CPU.
  await sleep(50);
  const cpu1 = probe.cpuMs();
  acc.seconds += (performance.now() - t0) / 1000;
  acc.cpuMs = cpu0 !== null && cpu1 !== null && acc.cpuMs !== null ? acc.cpuMs + (cpu1 - cpu0) : null;
}

function rowOf(name: string, a: Acc): Row {
  const row: Row = {
    scenario: name,
    ops: a.ops,
    errors: a.errors,
    opsPerS: Math.round(a.ops / a.seconds),
    relayCpuUsPerOp: a.cpuMs !== null && a.ops > 0 ? round((a.cpuMs * 1000) / a.ops, 1) : null,
    latency: a.hist.summary(),
  };
  if (a.firstError) row.firstError = a.firstError.slice(0, 200);
  return row;
}

/** CPU microseconds per call of `fn` (so time spent descheduled does not count), after a warm-up. */
function micro(fn: () => unknown, ms = 300): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  const c = process.cpuUsage(c0);
  return round((c.user + c.system) / n, 2)!;
}

function microBench() {
  const s = newSigner('micro');
  const text = roomMessageText('benchroom', Date.now(), sigNonce(), ciphertext());
  const sigBuf = Buffer.from(s.sign(text), 'base64');
  const spki = createPublicKey(s.key).export({ format: 'der', type: 'spki' });
  const pubKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const rawPub = new Uint8Array(spki.subarray(12));
  const msg = Buffer.from(text, 'utf8');
  const ct = ciphertext();
  // The relay's whole check of a signed post: texts, hash, base64 forms, cached key, verify, nonce.
  const verifier = new NativeVerifier();
  const nonces = new NonceCache(1_000_000);
  const record = {
    handle: 'micro',
    sign_pub: s.pub,
    box_pub: s.pub,
    registered_at: 0,
    meta: {},
    last_seen_at: 0,
    inbox_seq: 0,
  };
  const posts = Array.from({ length: 4000 }, () => {
    const c = ciphertext();
    const ts = Date.now();
    const n = sigNonce();
    return {
      ciphertext: c,
      sender_handle: 'micro',
      sender_ts: ts,
      sender_nonce: n,
      sender_sig: s.sign(roomMessageText('benchroom', ts, n, c)),
    };
  });
  let k = 0;
  const check = (t: string, sg: string, p: string) => verifier.verify(t, sg, p);
  const relayPathUs = micro(
    () =>
      verifyRoomPostSignature(
        'benchroom',
        posts[k++ % posts.length]!,
        () => record,
        nonces,
        Date.now(),
        check,
        sha256HexNative,
      ),
    200,
  );
  return {
    nativeVerifyUs: micro(() => verify(null, msg, pubKey, sigBuf)),
    relayPathUs,
    nativeKeyImportUs: micro(() => createPublicKey({ key: spki, format: 'der', type: 'spki' })),
    tweetnaclVerifyUs: micro(() => nacl.sign.detached.verify(msg, sigBuf, rawPub), 600),
    nativeSha256Us: micro(() => sha256HexNative(ct)),
    nobleSha256Us: micro(() => sha256Hex(ct)),
  };
}

async function main(): Promise<void> {
  if (PIN) pinSelf('1');
  const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `load average at start ${loadAvg}; ${RATE}/s offered for ${SECONDS} s per scenario in ${SLICES} slices, ${CONC} connections${PIN ? ', relay on core 0, load on core 1' : ''}`,
  );
  const busy0 = machineBusyMs();
  const relay = await startRelay();
  const host = '127.0.0.1';
  const port = Number(relay.url.port);
  const pool = new SourcePool(relay.url);
  const conns = Array.from({ length: CONC }, () => new HttpConn(host, port, pool.take()));
  const signers = Array.from({ length: CONC }, (_, i) =>
    newSigner(`bench-signer-${process.pid % 10000}-${i}`),
  );
  const boxPub = b64(32);

  const registerBody = (s: Signer): string => {
    const ts = Date.now();
    return JSON.stringify({
      handle: s.handle,
      box_pub: boxPub,
      sign_pub: s.pub,
      register_ts: ts,
      register_sig: s.sign(registerText(s.handle, ts, boxPub, s.pub)),
    });
  };
  const registerOne = async (c: HttpConn, body: string): Promise<string | null> => {
    const r = await c.request('POST', '/api/identity/register', body);
    return r.status === 201 || r.status === 200 ? null : `${r.status} ${r.body}`;
  };
  for (let i = 0; i < CONC; i++) {
    const err = await registerOne(conns[i]!, registerBody(signers[i]!));
    if (err) throw new Error(`registration failed: ${err}`);
  }

  const rows: Row[] = [];
  type Op = (w: number) => Promise<string | null>;
  /** A scenario: its name, one operation, and what to build before each slice. */
  type Scenario = [string, Op, ((perWorker: number) => void)?];
  const perWorker = Math.ceil(((RATE * SECONDS) / SLICES / CONC) * 1.2);
  const newAcc = (): Acc => ({ hist: new Histogram(), ops: 0, errors: 0, seconds: 0, cpuMs: 0 });
  const print = (row: Row) =>
    console.log(
      `${row.scenario.padEnd(22)} ${String(row.opsPerS).padStart(6)}/s  relay CPU ${String(row.relayCpuUsPerOp).padStart(7)} µs/op  p50 ${row.latency.p50} ms  p99 ${row.latency.p99} ms${row.errors ? `  errors ${row.errors}: ${row.firstError}` : ''}`,
    );
  /** Scenarios that take turns, SLICES times, SECONDS in all each. */
  const run = async (scenarios: Scenario[]) => {
    const accs = scenarios.map(newAcc);
    for (let i = 0; i < SLICES; i++) {
      const order =
        i % 2 === 0 ? scenarios.map((_, j) => j) : scenarios.map((_, j) => scenarios.length - 1 - j);
      for (const j of order) {
        scenarios[j]![2]?.(perWorker);
        await paced(accs[j]!, SECONDS / SLICES, relay.probe, scenarios[j]![1]);
      }
    }
    scenarios.forEach(([name], j) => {
      const row = rowOf(name, accs[j]!);
      rows.push(row);
      print(row);
    });
  };
  const expect200 = (r: { status: number; body: string }) =>
    r.status === 200 ? null : `${r.status} ${r.body}`;
  const tag = process.pid % 100000;
  const room = (w: number, what: string) => `sig${what}${tag}w${w}`;

  const unsignedPost = (_w: number, _roomId: string) =>
    JSON.stringify({ sender: 'bench', ciphertext: ciphertext(), nonce: b64(24) });
  const signedPost = (w: number, roomId: string) => {
    const s = signers[w]!;
    const ct = ciphertext();
    const ts = Date.now();
    const n = sigNonce();
    return JSON.stringify({
      ciphertext: ct,
      nonce: b64(24),
      sender_handle: s.handle,
      sender_ts: ts,
      sender_nonce: n,
      sender_sig: s.sign(roomMessageText(roomId, ts, n, ct)),
    });
  };

  // Interleaved so that a change in the machine's load shows in both halves of a pair.
  const httpPost = (what: string, signed: boolean): Scenario => {
    const bodies = new Ahead((w) => (signed ? signedPost : unsignedPost)(w, room(w, what)));
    return [
      `${what === 'warm' ? 'warm-up' : 'http post'} ${signed ? 'signed' : 'unsigned'}`,
      async (w) =>
        expect200(await conns[w]!.request('POST', `/api/rooms/${room(w, what)}/messages`, bodies.take(w))),
      bodies.prepare,
    ];
  };
  await run([httpPost('warm', false), httpPost('warm', true)]);
  await run([httpPost('hp', false), httpPost('hp', true)]);

  const wsOps: Scenario[] = [];
  const allSockets: WebSocket[] = [];
  for (const signed of [false, true]) {
    const sockets = await Promise.all(
      Array.from(
        { length: CONC },
        (_, w) =>
          new Promise<{ ws: WebSocket; wait: () => Promise<string | null> }>((resolve, reject) => {
            const ws = new WebSocket(`ws://${host}:${port}/api/rooms/${room(w, signed ? 'ws' : 'wu')}/ws`, {
              localAddress: pool.take(),
              perMessageDeflate: false,
            });
            let pending: ((e: string | null) => void) | null = null;
            ws.on('message', (d: Buffer) => {
              const t = d.toString();
              if (t.includes('"type":"ready"'))
                return resolve({ ws, wait: () => new Promise((r) => (pending = r)) });
              const p = pending;
              if (!p) return;
              if (t.includes('"type":"message"')) p(null);
              else if (t.includes('"type":"error"')) p(t);
              else return;
              pending = null;
            });
            ws.once('error', reject);
          }),
      ),
    );
    allSockets.push(...sockets.map((s) => s.ws));
    const frames = new Ahead((w) => (signed ? signedPost(w, room(w, 'ws')) : unsignedPost(w, room(w, 'wu'))));
    wsOps.push([
      `ws post ${signed ? 'signed' : 'unsigned'}`,
      async (w) => {
        const s = sockets[w]!;
        const done = s.wait();
        s.ws.send(frames.take(w));
        return done;
      },
      frames.prepare,
    ]);
  }
  await run(wsOps);
  for (const ws of allSockets) ws.close();

  // The claim/ack loop: each worker's room is filled first; one op is a signed claim and a signed ack.
  const fill = Math.min(2000, Math.ceil((SECONDS * RATE * 1.5) / CONC));
  await Promise.all(
    conns.map(async (c, w) => {
      for (let i = 0; i < fill; i++)
        await c.request('POST', `/api/rooms/${room(w, 'ca')}/messages`, unsignedPost(w, room(w, 'ca')));
    }),
  );
  const authHeader = (s: Signer, method: string, p: string) => {
    const ts = Date.now();
    const n = sigNonce();
    return `Authorization: Bot2Bot ts=${ts},n=${n},sig=${s.sign(requestText(method, p, ts, n))}\r\n`;
  };
  const claimPath = (w: number) => `/api/rooms/${room(w, 'ca')}/claim?timeout=1`;
  const ackPath = (w: number) => `/api/rooms/${room(w, 'ca')}/ack`;
  const claimAuth = new Ahead((w) => authHeader(signers[w]!, 'POST', claimPath(w)));
  const ackAuth = new Ahead((w) => authHeader(signers[w]!, 'POST', ackPath(w)));
  await run([
    [
      'claim + ack (signed)',
      async (w) => {
        const s = signers[w]!;
        const cp = claimPath(w);
        const c = await conns[w]!.request(
          'POST',
          cp,
          JSON.stringify({ handle: s.handle }),
          claimAuth.take(w),
        );
        if (c.status !== 200) return `claim ${c.status} ${c.body}`;
        const claim = JSON.parse(c.body) as { claim_id?: string; message?: { seq: number } };
        if (!claim.claim_id || !claim.message) return 'claim: room drained';
        const a = await conns[w]!.request(
          'POST',
          ackPath(w),
          JSON.stringify({ handle: s.handle, claim_id: claim.claim_id, seq: claim.message.seq }),
          ackAuth.take(w),
        );
        return a.status === 200 ? null : `ack ${a.status} ${a.body}`;
      },
      (n) => (claimAuth.prepare(n), ackAuth.prepare(n)),
    ],
  ]);

  const dmBody = (w: number, signed: boolean) => {
    const to = signers[(w + 1) % CONC]!.handle;
    const env = { ciphertext: ciphertext(), nonce: b64(24), sender_eph_pub: b64(32) };
    if (!signed) return { to, body: JSON.stringify(env) };
    const s = signers[w]!;
    const ts = Date.now();
    const sig = s.sign(
      dmText(
        to,
        s.handle,
        ts,
        dmEnvelopeHash(env.ciphertext, env.nonce, env.sender_eph_pub, sha256HexNative),
      ),
    );
    return { to, body: JSON.stringify({ ...env, from_handle: s.handle, from_ts: ts, from_sig: sig }) };
  };
  const dm = (signed: boolean): Scenario => {
    const bodies = new Ahead((w) => dmBody(w, signed));
    return [
      `dm ${signed ? 'signed' : 'unsigned'}`,
      async (w) => {
        const { to, body } = bodies.take(w);
        return expect200(await conns[w]!.request('POST', `/api/dm/${to}`, body));
      },
      bodies.prepare,
    ];
  };
  await run([dm(false), dm(true)]);

  let regN = 0;
  const registrants = new Ahead(() => registerBody(newSigner(`bench-r${tag}-${regN++}`)));
  await run([['register', async (w) => registerOne(conns[w]!, registrants.take(w)), registrants.prepare]]);

  // On the relay's core, while the relay is idle: the same core the costs above were paid on.
  if (PIN) pinSelf('0');
  const microFigures = microBench();
  if (PIN) pinSelf('1');
  console.log(
    `native Ed25519 verify ${microFigures.nativeVerifyUs} µs (the relay's whole check of a signed post ${microFigures.relayPathUs} µs), key import ${microFigures.nativeKeyImportUs} µs, tweetnacl verify ${microFigures.tweetnaclVerifyUs} µs; SHA-256 of 268 chars: native ${microFigures.nativeSha256Us} µs, noble ${microFigures.nobleSha256Us} µs`,
  );

  const by = (n: string) => rows.find((r) => r.scenario === n)?.relayCpuUsPerOp ?? null;
  const check = (signedName: string, unsignedName: string) => {
    const s = by(signedName);
    const u = by(unsignedName);
    if (s === null || u === null) return null;
    const extra = round(s - u, 1)!;
    return {
      signed: signedName,
      extraUs: extra,
      budgetUs: microFigures.nativeVerifyUs,
      met: extra <= microFigures.nativeVerifyUs,
    };
  };
  const targets = [
    check('http post signed', 'http post unsigned'),
    check('ws post signed', 'ws post unsigned'),
    check('dm signed', 'dm unsigned'),
  ].filter(Boolean);
  for (const t of targets)
    console.log(
      `target ${t!.signed}: +${t!.extraUs} µs over unsigned vs one verification ${t!.budgetUs} µs → ${t!.met ? 'met' : 'NOT met'}`,
    );

  const busy = machineBusyMs() - busy0;
  relay.stop();
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const file = path.join(
    outDir,
    `${new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '')}-signed.json`,
  );
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command: `npx tsx bench/signed.ts ${process.argv.slice(2).join(' ')}`,
        loadAverageAtStart: loadAvg,
        machineBusyMs: Math.round(busy),
        seconds: SECONDS,
        rate: RATE,
        slices: SLICES,
        concurrency: CONC,
        pinned: PIN,
        rows,
        micro: microFigures,
        targets,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${path.relative(ROOT, file)}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * What a signature costs the relay: signed room posts over HTTP and WebSocket next to unsigned
 * ones, the claim/ack loop, signed and unsigned DMs, and registration, each a short closed loop,
 * with the relay's CPU time per operation read from /proc. One native Ed25519 verification is
 * timed in the same run, so the target "a signed post costs at most an unsigned post plus one
 * verification" is checked against this machine as it is now.
 *
 *   npx tsx bench/signed.ts [--seconds 3] [--concurrency 8] [--no-pin] [--out bench/results]
 *
 * Starts its own relay (through tsx) on a free loopback port, pinned to core 0 with the load on
 * core 1, with the per-address rate limits raised so that they are not what is measured. Every
 * connection has its own 127.x.y.z source address.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import nacl from 'tweetnacl';
import WebSocket from 'ws';
import { dmEnvelopeHash, dmText, registerText, requestText, roomMessageText, sha256Hex } from '../protocol/index.js';
import { sha256HexNative } from '../relay/identity/nativeSig.js';
import { HttpConn } from './lib/httpConn.js';
import { SourcePool } from './lib/loopback.js';
import { ServerProbe, canConnect, freePort, machineBusyMs, pinSelf, spawnTracked } from './lib/server.js';
import { Histogram, round, sleep, type LatencySummary } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    'no-pin': { type: 'boolean' },
    out: { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const CONC = Number(args.concurrency);
if (!(SECONDS > 0 && SECONDS <= 30) || !(CONC >= 1 && CONC <= 64)) throw new Error('--seconds in (0, 30], --concurrency in [1, 64]');
const PIN = !args['no-pin'];

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
  return { handle, pub: raw.toString('base64'), key: privateKey, sign: (t) => sign(null, Buffer.from(t, 'utf8'), privateKey).toString('base64') };
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
  const argv = [...(PIN ? ['taskset', '-c', '0'] : []), process.execPath, '--import', 'tsx', path.join(ROOT, 'relay/main.ts')];
  const child = spawnTracked(argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('relay did not start');
    await sleep(100);
  }
  return { url: new URL(`http://127.0.0.1:${port}`), probe: new ServerProbe(child.pid ?? null), stop: () => child.kill('SIGINT') };
}

/**
 * Run `op` in `CONC` closed loops for SECONDS; `op(worker)` resolves to an error text or null.
 * The relay's CPU over the same interval, divided by completed operations, is the cost per op.
 */
async function closedLoop(name: string, probe: ServerProbe, op: (w: number) => Promise<string | null>): Promise<Row> {
  const hist = new Histogram();
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const cpu0 = probe.cpuMs();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONC }, async (_, w) => {
      while (performance.now() < end) {
        const s = performance.now();
        const err = await op(w);
        if (err) {
          errors++;
          firstError ??= err;
          if (errors > 50) return;
          continue;
        }
        hist.add(performance.now() - s);
        ops++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = probe.cpuMs();
  const row: Row = {
    scenario: name,
    ops,
    errors,
    opsPerS: Math.round(ops / elapsed),
    relayCpuUsPerOp: cpu0 !== null && cpu1 !== null && ops > 0 ? round(((cpu1 - cpu0) * 1000) / ops, 1) : null,
    latency: hist.summary(),
  };
  if (firstError) row.firstError = firstError.slice(0, 200);
  return row;
}

/** Microseconds per call of `fn`, timed over about `ms` milliseconds after a short warm-up. */
function micro(fn: () => unknown, ms = 300): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return round(((performance.now() - t0) * 1000) / n, 2)!;
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
  return {
    nativeVerifyUs: micro(() => verify(null, msg, pubKey, sigBuf)),
    nativeKeyImportUs: micro(() => createPublicKey({ key: spki, format: 'der', type: 'spki' })),
    tweetnaclVerifyUs: micro(() => nacl.sign.detached.verify(msg, sigBuf, rawPub), 600),
    nativeSha256Us: micro(() => sha256HexNative(ct)),
    nobleSha256Us: micro(() => sha256Hex(ct)),
  };
}

async function main(): Promise<void> {
  if (PIN) pinSelf('1');
  const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`load average at start ${loadAvg}; ${SECONDS} s per scenario, ${CONC} connections${PIN ? ', relay on core 0, load on core 1' : ''}`);
  const busy0 = machineBusyMs();
  const relay = await startRelay();
  const host = '127.0.0.1';
  const port = Number(relay.url.port);
  const pool = new SourcePool(relay.url);
  const conns = Array.from({ length: CONC }, () => new HttpConn(host, port, pool.take()));
  const signers = Array.from({ length: CONC }, (_, i) => newSigner(`bench-signer-${process.pid % 10000}-${i}`));
  const boxPub = b64(32);

  const registerOne = async (c: HttpConn, s: Signer): Promise<string | null> => {
    const ts = Date.now();
    const body = JSON.stringify({ handle: s.handle, box_pub: boxPub, sign_pub: s.pub, register_ts: ts, register_sig: s.sign(registerText(s.handle, ts, boxPub, s.pub)) });
    const r = await c.request('POST', '/api/identity/register', body);
    return r.status === 201 || r.status === 200 ? null : `${r.status} ${r.body}`;
  };
  for (let i = 0; i < CONC; i++) {
    const err = await registerOne(conns[i]!, signers[i]!);
    if (err) throw new Error(`registration failed: ${err}`);
  }

  const rows: Row[] = [];
  const run = async (name: string, op: (w: number) => Promise<string | null>) => {
    const row = await closedLoop(name, relay.probe, op);
    rows.push(row);
    console.log(`${name.padEnd(22)} ${String(row.opsPerS).padStart(6)}/s  relay CPU ${String(row.relayCpuUsPerOp).padStart(7)} µs/op  p50 ${row.latency.p50} ms  p99 ${row.latency.p99} ms${row.errors ? `  errors ${row.errors}: ${row.firstError}` : ''}`);
  };
  const expect200 = (r: { status: number; body: string }) => (r.status === 200 ? null : `${r.status} ${r.body}`);
  const tag = process.pid % 100000;
  const room = (w: number, what: string) => `sig${what}${tag}w${w}`;

  const unsignedPost = (_w: number, _roomId: string) => JSON.stringify({ sender: 'bench', ciphertext: ciphertext(), nonce: b64(24) });
  const signedPost = (w: number, roomId: string) => {
    const s = signers[w]!;
    const ct = ciphertext();
    const ts = Date.now();
    const n = sigNonce();
    return JSON.stringify({ ciphertext: ct, nonce: b64(24), sender_handle: s.handle, sender_ts: ts, sender_nonce: n, sender_sig: s.sign(roomMessageText(roomId, ts, n, ct)) });
  };

  // Interleaved so that a change in the machine's load shows in both halves of a pair.
  await run('warm-up (unsigned)', async (w) => expect200(await conns[w]!.request('POST', `/api/rooms/${room(w, 'warm')}/messages`, unsignedPost(w, room(w, 'warm')))));
  await run('http post unsigned', async (w) => expect200(await conns[w]!.request('POST', `/api/rooms/${room(w, 'hu')}/messages`, unsignedPost(w, room(w, 'hu')))));
  await run('http post signed', async (w) => expect200(await conns[w]!.request('POST', `/api/rooms/${room(w, 'hs')}/messages`, signedPost(w, room(w, 'hs')))));

  for (const signed of [false, true]) {
    const sockets = await Promise.all(
      Array.from({ length: CONC }, (_, w) =>
        new Promise<{ ws: WebSocket; wait: () => Promise<string | null> }>((resolve, reject) => {
          const ws = new WebSocket(`ws://${host}:${port}/api/rooms/${room(w, signed ? 'ws' : 'wu')}/ws`, { localAddress: pool.take(), perMessageDeflate: false });
          let pending: ((e: string | null) => void) | null = null;
          ws.on('message', (d: Buffer) => {
            const t = d.toString();
            if (t.includes('"type":"ready"')) return resolve({ ws, wait: () => new Promise((r) => (pending = r)) });
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
    await run(`ws post ${signed ? 'signed' : 'unsigned'}`, async (w) => {
      const s = sockets[w]!;
      const done = s.wait();
      s.ws.send(signed ? signedPost(w, room(w, 'ws')) : unsignedPost(w, room(w, 'wu')));
      return done;
    });
    for (const s of sockets) s.ws.close();
  }

  // The claim/ack loop: each worker's room is filled first; one op is a signed claim and a signed ack.
  const fill = Math.min(2000, Math.ceil((SECONDS * 2500) / CONC));
  await Promise.all(
    conns.map(async (c, w) => {
      for (let i = 0; i < fill; i++) await c.request('POST', `/api/rooms/${room(w, 'ca')}/messages`, unsignedPost(w, room(w, 'ca')));
    }),
  );
  const authHeader = (s: Signer, method: string, p: string) => {
    const ts = Date.now();
    const n = sigNonce();
    return `Authorization: Bot2Bot ts=${ts},n=${n},sig=${s.sign(requestText(method, p, ts, n))}\r\n`;
  };
  await run('claim + ack (signed)', async (w) => {
    const s = signers[w]!;
    const cp = `/api/rooms/${room(w, 'ca')}/claim?timeout=1`;
    const c = await conns[w]!.request('POST', cp, JSON.stringify({ handle: s.handle }), authHeader(s, 'POST', cp));
    if (c.status !== 200) return `claim ${c.status} ${c.body}`;
    const claim = JSON.parse(c.body) as { claim_id?: string; message?: { seq: number } };
    if (!claim.claim_id || !claim.message) return 'claim: room drained';
    const ap = `/api/rooms/${room(w, 'ca')}/ack`;
    const a = await conns[w]!.request('POST', ap, JSON.stringify({ handle: s.handle, claim_id: claim.claim_id, seq: claim.message.seq }), authHeader(s, 'POST', ap));
    return a.status === 200 ? null : `ack ${a.status} ${a.body}`;
  });

  const dmBody = (w: number, signed: boolean) => {
    const to = signers[(w + 1) % CONC]!.handle;
    const env = { ciphertext: ciphertext(), nonce: b64(24), sender_eph_pub: b64(32) };
    if (!signed) return { to, body: JSON.stringify(env) };
    const s = signers[w]!;
    const ts = Date.now();
    const sig = s.sign(dmText(to, s.handle, ts, dmEnvelopeHash(env.ciphertext, env.nonce, env.sender_eph_pub, sha256HexNative)));
    return { to, body: JSON.stringify({ ...env, from_handle: s.handle, from_ts: ts, from_sig: sig }) };
  };
  for (const signed of [false, true]) {
    await run(`dm ${signed ? 'signed' : 'unsigned'}`, async (w) => {
      const { to, body } = dmBody(w, signed);
      return expect200(await conns[w]!.request('POST', `/api/dm/${to}`, body));
    });
  }

  let regN = 0;
  await run('register', async (w) => registerOne(conns[w]!, newSigner(`bench-r${tag}-${regN++}`)));

  const microFigures = microBench();
  console.log(`native Ed25519 verify ${microFigures.nativeVerifyUs} µs, key import ${microFigures.nativeKeyImportUs} µs, tweetnacl verify ${microFigures.tweetnaclVerifyUs} µs; SHA-256 of 268 chars: native ${microFigures.nativeSha256Us} µs, noble ${microFigures.nobleSha256Us} µs`);

  const by = (n: string) => rows.find((r) => r.scenario === n)?.relayCpuUsPerOp ?? null;
  const check = (signedName: string, unsignedName: string) => {
    const s = by(signedName);
    const u = by(unsignedName);
    if (s === null || u === null) return null;
    const extra = round(s - u, 1)!;
    return { signed: signedName, extraUs: extra, budgetUs: microFigures.nativeVerifyUs, met: extra <= microFigures.nativeVerifyUs };
  };
  const targets = [check('http post signed', 'http post unsigned'), check('ws post signed', 'ws post unsigned'), check('dm signed', 'dm unsigned')].filter(Boolean);
  for (const t of targets) console.log(`target ${t!.signed}: +${t!.extraUs} µs over unsigned vs one verification ${t!.budgetUs} µs → ${t!.met ? 'met' : 'NOT met'}`);

  const busy = machineBusyMs() - busy0;
  relay.stop();
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'bench/results'));
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '')}-signed.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), command: `npx tsx bench/signed.ts ${process.argv.slice(2).join(' ')}`, loadAverageAtStart: loadAvg, machineBusyMs: Math.round(busy), seconds: SECONDS, concurrency: CONC, pinned: PIN, rows, micro: microFigures, targets }, null, 2) + '\n');
  console.log(`wrote ${path.relative(ROOT, file)}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * The benchmark: `npm run bench -- --url http://127.0.0.1:PORT` against any compatible relay,
 * or `npm run bench -- --spawn both` to start our relay and the baseline itself, each pinned to
 * core 0 with the load generator pinned to core 1. Loopback only. See docs/PERFORMANCE.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkTargets, table } from './report.js';
import { connectHost, parseLoopbackUrl, SourcePool } from './lib/loopback.js';
import { allowedCpus, findListeningPid, pinSelf, ServerProbe, spawnServer, type Spawned, type Target } from './lib/server.js';
import { runTag, type BenchContext } from './scenarios/context.js';
import { SCENARIOS, runSuite, type ScenarioName, type SuiteResult } from './scenarios/suite.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `usage: npm run bench -- (--url http://127.0.0.1:PORT | --spawn relay|baseline|both) [options]

  --url URL            a running relay (host must be 127.0.0.0/8, localhost or [::1])
  --name NAME          label for --url results (default "target")
  --pid PID            its process id, for memory and CPU (default: found via /proc by port)
  --spawn WHICH        start relay (dist/node/relay/main.js), baseline (bench/baseline/server.ts) or both
  --server-env K=V     extra environment for spawned servers (repeatable)
  --no-pin             do not pin (default with --spawn: server on core 0, load on core 1)
  --cpu-prof           run spawned servers with --cpu-prof (profiles in bench/results/prof-*)
  --scenarios LIST     comma list of ${SCENARIOS.join(',')} (default: all)
  --fanout LIST        fan-out subscriber counts (default 10,100,500)
  --idle N             idle WebSockets (default 20000, capped by the open-file limit)
  --rtt-samples N      round trips per transport (default 300)
  --step-seconds S     offered-load seconds per ladder step (default 3)
  --quick              short ladders, 1 s steps (smoke test)
  --out DIR            where the JSON goes (default bench/results)`;

function fail(msg: string): never {
  console.error(`bench: ${msg}\n\n${HELP}`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a positive integer, got "${v}"`);
  return n;
}

function openFileLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: (cpuinfo.match(/^processor\s*:/gm) ?? []).length || os.cpus().length,
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? '?',
    memTotalMiB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    kernel: os.release(),
    openFileLimit: openFileLimit(),
  };
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        url: { type: 'string' },
        name: { type: 'string' },
        pid: { type: 'string' },
        spawn: { type: 'string' },
        'server-env': { type: 'string', multiple: true },
        'no-pin': { type: 'boolean' },
        'cpu-prof': { type: 'boolean' },
        scenarios: { type: 'string' },
        fanout: { type: 'string' },
        idle: { type: 'string' },
        'rtt-samples': { type: 'string' },
        'step-seconds': { type: 'string' },
        quick: { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.help) {
    console.log(HELP);
    return;
  }
  if (!args.url === !args.spawn) fail('give exactly one of --url or --spawn');
  const spawnTargets: Target[] = args.spawn === 'both' ? ['relay', 'baseline'] : args.spawn === 'relay' || args.spawn === 'baseline' ? [args.spawn] : [];
  if (args.spawn && !spawnTargets.length) fail(`--spawn must be relay, baseline or both, got "${args.spawn}"`);
  const fixedUrl = args.url ? parseLoopbackUrl(args.url) : null;
  const scenarios = (args.scenarios ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()) as ScenarioName[];
  for (const s of scenarios) if (!SCENARIOS.includes(s)) fail(`unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`);
  const fanout = (args.fanout ?? '10,100,500').split(',').map((x) => positiveInt('--fanout', x, 0));
  const serverEnv: Record<string, string> = {};
  for (const kv of args['server-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(`--server-env wants K=V, got "${kv}"`);
    serverEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const quick = !!args.quick;
  const nofile = openFileLimit();
  // Both ends hold one descriptor per connection; keep headroom for pools, logs and the listener.
  const idleCap = Math.max(100, nofile - 400);
  const idleWanted = positiveInt('--idle', args.idle, quick ? 2000 : 20_000);
  const idle = Math.min(idleWanted, idleCap);
  const stepSeconds = Number(args['step-seconds'] ?? (quick ? 1 : 3));
  if (!(stepSeconds > 0 && stepSeconds <= 30)) fail('--step-seconds must be in (0, 30]');
  const rttSamples = positiveInt('--rtt-samples', args['rtt-samples'], quick ? 100 : 300);
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'bench/results'));

  const pin = !!args.spawn && !args['no-pin'];
  if (pin) {
    if (machine().nproc < 2) fail('pinning needs 2 cores; use --no-pin');
    pinSelf('1');
  }
  const m = machine();
  const log = (line: string) => console.log(line);
  log(`machine: ${m.nproc} cores (${m.cpuModel}), ${m.memTotalMiB} MiB, node ${m.node}, open-file limit ${m.openFileLimit}`);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  log(`load average ${load}${Number(load.split(' ')[0]) > 0.5 ? ' — WARNING: the machine is busy; figures will be noisy (see "other" CPU per step)' : ''}`);
  log(`load generator on CPUs ${allowedCpus()}${pin ? ', servers pinned to core 0' : ''}; run tag ${runTag}`);
  if (idle < idleWanted) log(`idle connections capped at ${idle} by the open-file limit (${nofile}); raise with ulimit -n`);

  const results: Record<string, SuiteResult> = {};
  const servers: Record<string, { url: string; pid: number | null; command: string }> = {};
  const targets: Array<{ name: string; start: () => Promise<{ url: URL; pid: number | null; command: string; stop?: () => Promise<void> }> }> = fixedUrl
    ? [{ name: args.name ?? 'target', start: async () => ({ url: fixedUrl, pid: args.pid ? positiveInt('--pid', args.pid, 0) : findListeningPid(Number(fixedUrl.port || 80)), command: `(external) ${fixedUrl.href}` }) }]
    : spawnTargets.map((t) => ({
        name: t,
        start: async () => {
          const s: Spawned = await spawnServer(t, { root: ROOT, pinCore: pin ? '0' : null, cpuProfDir: args['cpu-prof'] ? path.join(outDir, `prof-${t}`) : null, env: serverEnv });
          return { url: new URL(s.url), pid: s.pid, command: s.command, stop: () => s.stop() };
        },
      }));

  // An interrupted run must not leave a pinned server behind.
  let current: (() => Promise<void>) | undefined;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`\n${sig}: stopping`);
      void (current?.() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  for (const t of targets) {
    const s = await t.start();
    current = s.stop;
    servers[t.name] = { url: s.url.href, pid: s.pid, command: s.command };
    log(`\n=== ${t.name}: ${s.url.href} (pid ${s.pid ?? 'unknown'}${s.pid ? `, CPUs ${allowedCpus(s.pid)}` : ''})`);
    const ctx: BenchContext = {
      base: s.url,
      host: connectHost(s.url),
      port: Number(s.url.port || 80),
      sources: new SourcePool(s.url),
      probe: new ServerProbe(s.pid),
      stepSeconds,
      drainMs: 3000,
      warmupSeconds: 1,
      restMs: 1000,
      log,
    };
    try {
      results[t.name] = await runSuite(ctx, { scenarios, fanout, quick, rttSamples, idle });
    } finally {
      await s.stop?.();
    }
  }

  log('\n' + table(results));
  const checks = results.relay ? checkTargets(results.relay, results.baseline ?? null) : [];
  if (checks.length) {
    log('\ntargets (issue 6):');
    for (const c of checks) log(`  [${c.met === null ? ' ? ' : c.met ? 'met' : 'NOT'}] ${c.target} — ${c.detail}`);
  }
  const label = fixedUrl ? (args.name ?? 'target') : args.spawn!;
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${stamp}-${label}.json`);
  const argv = process.argv.slice(2).join(' ');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), command: `npm run bench -- ${argv}`, machine: { ...m, loadAverageAtStart: load }, options: { scenarios, fanout, quick, stepSeconds, rttSamples, idle, pinned: pin, serverEnv }, servers, results, targets: checks }, null, 2) + '\n');
  log(`\nresults: ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);

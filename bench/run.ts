/**
 * The benchmark: `npm run bench -- --url http://127.0.0.1:PORT` against any compatible relay
 * (or `--url A,B` against the nodes of a cluster), or `npm run bench -- --spawn both` to start
 * our relay and the baseline itself, `--spawn cluster` for Redis and two relay nodes, each
 * pinned to core 0 with the load generator pinned to core 1. Loopback only. See
 * docs/PERFORMANCE.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkTargets, sumIntegrity, table, type Round } from './report.js';
import { connectHost, parseLoopbackUrl, SourcePool } from './lib/loopback.js';
import { spawnCluster } from './lib/cluster.js';
import {
  allowedCpus,
  findListeningPid,
  GroupProbe,
  pinSelf,
  ServerProbe,
  spawnServer,
  type Probe,
  type Spawned,
  type Target,
} from './lib/server.js';
import { nodesOf, runTag, type BenchContext } from './scenarios/context.js';
import {
  SCENARIOS,
  emptyResult,
  runSuite,
  suiteUnits,
  type ScenarioName,
  type SuiteResult,
} from './scenarios/suite.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `usage: npm run bench -- (--url http://127.0.0.1:PORT[,…] | --spawn relay|baseline|both|cluster[,…]) [options]

  --url URL[,URL…]     a running relay (host must be 127.0.0.0/8, localhost or [::1]); several
                       comma-separated base URLs are the nodes of one cluster: subscribers are
                       spread over them and posts go through another node than the first
                       subscriber's, so deliveries cross the nodes' shared backend
  --name NAME          label for --url results (default "target", "cluster" for several URLs)
  --pid PID[,PID…]     process ids for memory and CPU, summed (default: found via /proc by each
                       URL's port; add the Redis pid to count it too)
  --spawn WHICH        start relay (dist/node/relay/main.js), baseline (bench/baseline/server.ts),
                       both (= relay,baseline) or cluster (redis-server with persistence off and
                       two relay nodes with REDIS_URL, all on core 0); a comma list runs several
  --server-env K=V     extra environment for spawned servers (repeatable)
  --no-pin             do not pin (default with --spawn: server on core 0, load on core 1)
  --cpu-prof           run spawned servers with --cpu-prof (profiles in bench/results/prof-*)
  --shards N           with --spawn cluster: Redis servers the rooms are sharded over (default 1)
  --nodes N            with --spawn cluster: relay nodes (default 2)
  --scenarios LIST     comma list of ${SCENARIOS.join(',')} (default: all)
  --fanout LIST        fan-out subscriber counts (default 10,100,500)
  --ingest-rates LIST  posts/s the ingest ladder starts from (default 2500,5000,…); a single
                       rate compares CPU per post of several targets at the same load
  --idle N             idle WebSockets (default 20000, capped by the open-file limit)
  --rtt-samples N      round trips per transport (default 300)
  --step-seconds S     offered-load seconds per ladder step (default 3)
  --warmup-seconds S   unrecorded seconds at a ladder's first rate before its first step
                       (default 5, 1 with --quick; 0 skips it)
  --repeat N           run every scenario N times (default 1), each round on fresh processes
                       with --spawn; figures are medians, a ratio the median of the rounds' ratios
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
        'ingest-rates': { type: 'string' },
        idle: { type: 'string' },
        'rtt-samples': { type: 'string' },
        'step-seconds': { type: 'string' },
        'warmup-seconds': { type: 'string' },
        repeat: { type: 'string' },
        shards: { type: 'string' },
        nodes: { type: 'string' },
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
  const spawnTargets: Array<Target | 'cluster'> = [];
  for (const w of (args.spawn ?? '').split(',').filter(Boolean)) {
    const add: Array<Target | 'cluster'> | null =
      w === 'both'
        ? ['relay', 'baseline']
        : w === 'relay' || w === 'baseline' || w === 'cluster'
          ? [w]
          : null;
    if (!add) fail(`--spawn takes relay, baseline, both or cluster (comma-separated), got "${w}"`);
    for (const t of add) if (!spawnTargets.includes(t)) spawnTargets.push(t);
  }
  if (args.spawn && !spawnTargets.length) fail('--spawn needs a value');
  let fixedUrls: URL[] | null = null;
  try {
    fixedUrls = args.url ? args.url.split(',').map((u) => parseLoopbackUrl(u.trim())) : null;
  } catch (e) {
    fail((e as Error).message);
  }
  if (fixedUrls && new Set(fixedUrls.map((u) => u.host)).size !== fixedUrls.length)
    fail('--url: the same node is listed twice');
  const fixedPids = args.pid ? args.pid.split(',').map((p) => positiveInt('--pid', p.trim(), 0)) : null;
  const scenarios = (args.scenarios ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()) as ScenarioName[];
  for (const s of scenarios)
    if (!SCENARIOS.includes(s)) fail(`unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`);
  const fanout = (args.fanout ?? '10,100,500').split(',').map((x) => positiveInt('--fanout', x, 0));
  const serverEnv: Record<string, string> = {};
  for (const kv of args['server-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(`--server-env wants K=V, got "${kv}"`);
    serverEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const quick = !!args.quick;
  const ingestRates = args['ingest-rates']?.split(',').map((x) => positiveInt('--ingest-rates', x, 1));
  const nofile = openFileLimit();
  // Both ends hold one descriptor per connection; keep headroom for pools, logs and the listener.
  const idleCap = Math.max(100, nofile - 400);
  const idleWanted = positiveInt('--idle', args.idle, quick ? 2000 : 20_000);
  const idle = Math.min(idleWanted, idleCap);
  const stepSeconds = Number(args['step-seconds'] ?? (quick ? 1 : 3));
  if (!(stepSeconds > 0 && stepSeconds <= 30)) fail('--step-seconds must be in (0, 30]');
  const warmupSeconds = Number(args['warmup-seconds'] ?? (quick ? 1 : 5));
  if (!(warmupSeconds >= 0 && warmupSeconds <= 60)) fail('--warmup-seconds must be in [0, 60]');
  const rttSamples = positiveInt('--rtt-samples', args['rtt-samples'], quick ? 100 : 300);
  const repeat = positiveInt('--repeat', args.repeat, 1);
  const shards = positiveInt('--shards', args.shards, 1);
  const nodes = positiveInt('--nodes', args.nodes, 2);
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'bench/results'));

  const pin = !!args.spawn && !args['no-pin'];
  if (pin) {
    if (machine().nproc < 2) fail('pinning needs 2 cores; use --no-pin');
    pinSelf('1');
  }
  const m = machine();
  const log = (line: string) => console.log(line);
  log(
    `machine: ${m.nproc} cores (${m.cpuModel}), ${m.memTotalMiB} MiB, node ${m.node}, open-file limit ${m.openFileLimit}`,
  );
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  log(
    `load average ${load}${Number(load.split(' ')[0]) > 0.5 ? ' — WARNING: the machine is busy; figures will be noisy (see "other" CPU per step)' : ''}`,
  );
  log(`load generator on CPUs ${allowedCpus()}${pin ? ', servers pinned to core 0' : ''}; run tag ${runTag}`);
  if (idle < idleWanted)
    log(`idle connections capped at ${idle} by the open-file limit (${nofile}); raise with ulimit -n`);

  const rounds: Round[] = [];
  const servers: Record<string, { urls: string[]; pids: Record<string, number | null>; command: string }> =
    {};
  type Started = {
    urls: URL[];
    pids: Record<string, number | null>;
    probe: Probe;
    command: string;
    stop?: () => Promise<void>;
  };
  const external = (urls: URL[]): Started => {
    const pids: Record<string, number | null> = {};
    if (fixedPids) fixedPids.forEach((p, i) => (pids[i < urls.length ? `node${i + 1}` : `pid${i + 1}`] = p));
    else urls.forEach((u, i) => (pids[`node${i + 1}`] = findListeningPid(Number(u.port || 80))));
    const names = Object.keys(pids);
    const probe =
      names.length === 1
        ? new ServerProbe(pids[names[0]!]!)
        : new GroupProbe(names.map((name) => ({ name, probe: new ServerProbe(pids[name]!) })));
    return { urls, pids, probe, command: `(external) ${urls.map((u) => u.href).join(' ')}` };
  };
  const targets: Array<{ name: string; start: () => Promise<Started> }> = fixedUrls
    ? [
        {
          name: args.name ?? (fixedUrls.length > 1 ? 'cluster' : 'target'),
          start: async () => external(fixedUrls),
        },
      ]
    : spawnTargets.map((t) => ({
        name: t,
        start: async (): Promise<Started> => {
          const prof = args['cpu-prof'] ? path.join(outDir, `prof-${t}`) : null;
          if (t === 'cluster') {
            const c = await spawnCluster({
              root: ROOT,
              pinCore: pin ? '0' : null,
              cpuProfDir: prof,
              env: serverEnv,
              shards,
              nodes,
            });
            return {
              urls: c.urls.map((u) => new URL(u)),
              pids: c.pids,
              probe: c.probe,
              command: c.command,
              stop: () => c.stop(),
            };
          }
          const s: Spawned = await spawnServer(t, {
            root: ROOT,
            pinCore: pin ? '0' : null,
            cpuProfDir: prof,
            env: serverEnv,
          });
          return {
            urls: [new URL(s.url)],
            pids: { [t]: s.pid },
            probe: new ServerProbe(s.pid),
            command: s.command,
            stop: () => s.stop(),
          };
        },
      }));

  const label = fixedUrls
    ? (args.name ?? (fixedUrls.length > 1 ? 'cluster' : 'target'))
    : spawnTargets.join('+') === 'relay+baseline'
      ? 'both'
      : spawnTargets.join('+');
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*/, '');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${stamp}-${label}.json`);
  const argv = process.argv.slice(2).join(' ');
  let checks: ReturnType<typeof checkTargets> = [];
  // Written after every target, so a run interrupted later keeps what it finished.
  const save = (complete: boolean) =>
    writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          command: `npm run bench -- ${argv}`,
          complete,
          machine: { ...m, loadAverageAtStart: load },
          options: {
            scenarios,
            fanout,
            ingestRates,
            quick,
            shards,
            nodes,
            stepSeconds,
            warmupSeconds,
            rttSamples,
            idle,
            repeat,
            pinned: pin,
            serverEnv,
          },
          servers,
          rounds,
          targets: checks,
        },
        null,
        2,
      ) + '\n',
    );

  // An interrupted run must not leave a pinned server behind.
  let current: (() => Promise<void>) | undefined;
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    // `on`, not `once`: npm and tsx relay the signal too, and a second one taking the default
    // action would exit before the servers are stopped.
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log(`\n${sig}: stopping`);
      void (current?.() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  const contextFor = (name: string, started: Started): BenchContext => {
    const procs = Object.entries(started.pids).map(
      ([k, pid]) => `${k} pid ${pid ?? 'unknown'}${pid ? `, CPUs ${allowedCpus(pid)}` : ''}`,
    );
    log(`\n=== ${name}: ${started.urls.map((u) => u.href).join(' ')} (${procs.join('; ')})`);
    const nodes = nodesOf(started.urls, connectHost);
    return {
      name,
      base: nodes[0]!.base,
      host: nodes[0]!.host,
      port: nodes[0]!.port,
      nodes,
      sources: new SourcePool(nodes[0]!.base),
      probe: started.probe,
      stepSeconds,
      drainMs: 3000,
      warmupSeconds,
      restMs: 1000,
      log,
    };
  };
  // The first process of each target; later rounds run the same command on fresh processes.
  const record = (name: string, s: Started) =>
    (servers[name] ??= { urls: s.urls.map((u) => u.href), pids: s.pids, command: s.command });
  const suiteOptions = { scenarios, fanout, quick, rttSamples, idle, ingestRates };
  if (fixedUrls) {
    // A running target: every scenario on the same process, one after the other.
    const t = targets[0]!;
    const s = await t.start();
    record(t.name, s);
    for (let r = 0; r < repeat; r++) {
      if (repeat > 1) log(`\n--- round ${r + 1} of ${repeat}`);
      rounds.push({ [t.name]: await runSuite(contextFor(t.name, s), suiteOptions) });
      save(false);
    }
  } else {
    // Targets the bench starts: each scenario runs on a fresh process of every target in turn
    // before the next scenario, so the relay and the baseline are measured minutes apart, not a
    // whole suite apart, and slow drift of a shared machine hits both alike. The order alternates
    // from one scenario to the next, so neither always runs first. A fresh process per scenario
    // means none inherits the previous one's rooms, heap or GC tuning: a relay that evicted 200
    // full rooms ran the next ladder with V8's heap limits shrunk after the big free, collecting
    // far more often than a baseline that never frees anything.
    // With --repeat, the rounds are outermost: an interrupted run still has whole rounds.
    const units = suiteUnits(suiteOptions);
    const runRound = async (r: number, results: Round): Promise<void> => {
      for (const [i, unit] of units.entries()) {
        if (unit.runPaired && targets.length > 1) {
          // Round trips are too short to pair by scenario: all targets run at once and take turns.
          const started: Started[] = [];
          try {
            for (const t of targets) {
              const s = await t.start();
              started.push(s);
              record(t.name, s);
            }
            current = () => Promise.all(started.map((s) => s.stop?.())).then(() => {});
            await unit.runPaired(
              started.map((s, k) => contextFor(targets[k]!.name, s)),
              targets.map((t) => results[t.name]!),
            );
          } finally {
            await Promise.all(started.map((s) => s.stop?.()));
          }
          save(false);
          continue;
        }
        // Which target goes first alternates over the units and, for each unit, over the rounds.
        for (const t of (i + r) % 2 === 0 ? targets : [...targets].reverse()) {
          const s = await t.start();
          current = s.stop;
          record(t.name, s);
          try {
            await unit.run(contextFor(t.name, s), results[t.name]!);
          } finally {
            await s.stop?.();
          }
        }
        save(false);
      }
    };
    for (let r = 0; r < repeat; r++) {
      if (repeat > 1) log(`\n--- round ${r + 1} of ${repeat}`);
      const results: Round = Object.fromEntries(targets.map((t) => [t.name, emptyResult()]));
      rounds.push(results);
      await runRound(r, results);
    }
  }

  log('\n' + table(rounds));
  checks = checkTargets(rounds);
  if (checks.length) {
    log('\ntargets:');
    for (const c of checks)
      log(`  [${c.met === null ? ' ? ' : c.met ? 'met' : 'NOT'}] ${c.target} — ${c.detail}`);
  }
  const clusters = rounds.map((r) => r.cluster).filter((c): c is SuiteResult => !!c);
  if (clusters.length) {
    const i = sumIntegrity(clusters);
    log(
      `\ncluster: [${i.lost + i.duplicated + i.outOfOrder === 0 ? 'met' : 'NOT'}] zero lost, duplicated or out-of-order messages across nodes — lost ${i.lost}, duplicated ${i.duplicated}, out of order ${i.outOfOrder} (refused posts: ${i.rejected})`,
    );
  }
  save(true);
  log(`\nresults: ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);

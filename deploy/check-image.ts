/**
 * The container image's checks, for machines where no container runtime runs (this one):
 *  1. the Dockerfile, .dockerignore, docker-compose.yml, the nginx config and the systemd unit
 *     are checked statically (compose parsed as YAML, every referenced file present);
 *  2. the Dockerfile's stages are executed as written, each in a temporary folder standing in
 *     for the image's file system: its COPY lines copy, its RUN lines run (npm ci, npm run build,
 *     npm ci --omit=dev), with the committed tree as the build context;
 *  3. the resulting runtime folder is started with the image's CMD, its HEALTHCHECK command must
 *     pass, and /api/health must answer;
 *  4. the rebuild-and-compare commands its /source page shows are run verbatim in an empty
 *     folder, against this repository on disk: a second, independent build must match the
 *     image's files byte for byte.
 * `npm run check:image`; exits non-zero on the first failure. Keeps its temp folder with --keep;
 * `-- --static` runs step 1 only.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
/** Only the static checks (seconds instead of minutes). */
const staticOnly = process.argv.includes('--static');
const t0 = Date.now();

function step(what: string): void {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${what}`);
}

function fail(why: string): never {
  throw new Error(why);
}

function check(cond: unknown, why: string): asserts cond {
  if (!cond) fail(why);
}

/** Runs a shell command; resolves with its output, rejects with it on a non-zero exit. */
function sh(command: string, opts: SpawnOptions & { quiet?: boolean } = {}): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn('sh', ['-c', command], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', rej);
    child.on('close', (code) =>
      code === 0 ? res(out) : rej(new Error(`\`${command}\` exited ${code}:\n${out.slice(-3000)}`)),
    );
  });
}

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  op: string;
  args: string;
  line: number;
}

interface Stage {
  name: string;
  from: string;
  steps: Instruction[];
}

function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    const start = i + 1;
    if (/^\s*(#|$)/.test(l)) continue;
    while (l.endsWith('\\') && i + 1 < lines.length) l = `${l.slice(0, -1).trimEnd()} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l);
    check(m, `Dockerfile:${start}: cannot read "${l}"`);
    instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      check(m, `Dockerfile:${ins.line}: FROM image [AS name]`);
      stages.push({ name: m[2] ?? String(stages.length), from: expand(m[1]!, globalArgs), steps: [] });
    } else if (stages.length === 0) {
      check(ins.op === 'ARG', `Dockerfile:${ins.line}: only ARG may precede FROM`);
      const [k, v] = splitAssign(ins.args);
      globalArgs.set(k, v);
    } else {
      stages[stages.length - 1]!.steps.push(ins);
    }
  }
  return { args: globalArgs, stages };
}

function splitAssign(s: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq === -1) return [s.trim(), ''];
  return [s.slice(0, eq).trim(), unquote(s.slice(eq + 1).trim())];
}

const unquote = (s: string) => (/^".*"$/.test(s) ? s.slice(1, -1) : s);

function expand(s: string, vars: Map<string, string>): string {
  return s.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_m, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? '',
  );
}

/** `ENV A=1 B=2` (space-separated pairs, values possibly ${VAR}). */
function envPairs(args: string, vars: Map<string, string>): Array<[string, string]> {
  return (args.match(/\w+=("[^"]*"|\S*)/g) ?? []).map((p) => {
    const [k, v] = splitAssign(p);
    return [k, expand(v, vars)];
  });
}

function jsonArray(args: string, where: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(args);
  } catch {
    fail(`${where}: use the exec (JSON array) form`);
  }
  check(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${where}: a JSON array of strings`);
  return v as string[];
}

/** The result of running one stage: its folder standing in for `/`, and what it declared. */
interface BuiltStage {
  root: string;
  workdir: string;
  env: Map<string, string>;
  user: string | null;
  healthcheck: string[] | null;
  cmd: string[] | null;
  exposed: string[];
}

async function runStages(
  stages: Stage[],
  globalArgs: Map<string, string>,
  context: string,
  work: string,
): Promise<Map<string, BuiltStage>> {
  const built = new Map<string, BuiltStage>();
  const inImage = (st: BuiltStage, p: string) => join(st.root, p.startsWith('/') ? p : join(st.workdir, p));
  for (const stage of stages) {
    const st: BuiltStage = {
      root: join(work, `stage-${stage.name}`),
      workdir: '/',
      env: new Map(),
      user: null,
      healthcheck: null,
      cmd: null,
      exposed: [],
    };
    mkdirSync(st.root, { recursive: true });
    const vars = new Map(globalArgs);
    step(`stage ${stage.name} (FROM ${stage.from})`);
    for (const ins of stage.steps) {
      const where = `Dockerfile:${ins.line}`;
      switch (ins.op) {
        case 'WORKDIR':
          st.workdir = expand(ins.args, vars);
          mkdirSync(inImage(st, '.'), { recursive: true });
          break;
        case 'ARG': {
          const [k, v] = splitAssign(ins.args);
          vars.set(k, process.env[`BUILD_ARG_${k}`] ?? v);
          break;
        }
        case 'ENV':
          for (const [k, v] of envPairs(ins.args, vars)) {
            st.env.set(k, v);
            vars.set(k, v);
          }
          break;
        case 'COPY': {
          const parts = ins.args.split(/\s+/);
          let from: BuiltStage | null = null;
          while (parts[0]?.startsWith('--')) {
            const flag = parts.shift()!;
            const m = /^--from=(\S+)$/.exec(flag);
            if (m) from = built.get(m[1]!) ?? fail(`${where}: no stage ${m[1]}`);
          }
          const dest = parts.pop();
          check(dest && parts.length > 0, `${where}: COPY src... dest`);
          for (const src of parts) {
            const abs = from ? join(from.root, src) : join(context, src);
            check(
              existsSync(abs),
              `${where}: COPY source ${src} is not in the ${from ? 'stage' : 'build context'}`,
            );
            const target = inImage(st, dest);
            const into =
              dest.endsWith('/') || parts.length > 1 ? join(target, src.split('/').pop()!) : target;
            cpSync(abs, src === '.' ? target : into, { recursive: true });
          }
          break;
        }
        case 'RUN': {
          const command = ins.args;
          check(!command.startsWith('['), `${where}: RUN in shell form`);
          step(`  RUN ${command}`);
          await sh(command, {
            cwd: inImage(st, '.'),
            env: { ...process.env, ...Object.fromEntries(st.env) },
          });
          break;
        }
        case 'USER':
          st.user = ins.args;
          break;
        case 'EXPOSE':
          st.exposed.push(...ins.args.split(/\s+/));
          break;
        case 'HEALTHCHECK': {
          const m = /CMD\s+(\[.*\])\s*$/.exec(ins.args);
          check(m, `${where}: HEALTHCHECK [options] CMD [...]`);
          st.healthcheck = jsonArray(m[1]!, where);
          break;
        }
        case 'CMD':
          st.cmd = jsonArray(ins.args, where);
          break;
        case 'STOPSIGNAL':
        case 'LABEL':
          break;
        default:
          fail(`${where}: ${ins.op} is not understood by this check; extend deploy/check-image.ts`);
      }
    }
    built.set(stage.name, st);
  }
  return built;
}

// ---------------------------------------------------------------- static checks

/** The maintained Node LTS lines (nodejs/Release schedule); update when a line reaches its end. */
const MAINTAINED_NODE_LTS = [22, 24, 26];

function checkDockerfileShape(stages: Stage[]): void {
  check(stages.length >= 2, 'Dockerfile: a build stage and a runtime stage');
  for (const s of stages) {
    const m = /^node:(\d+)-/.exec(s.from);
    check(
      m && MAINTAINED_NODE_LTS.includes(Number(m[1])),
      `Dockerfile: stage ${s.name} is FROM ${s.from}, not a maintained Node LTS (${MAINTAINED_NODE_LTS.join(', ')})`,
    );
  }
  const runtime = stages[stages.length - 1]!;
  const user = runtime.steps.filter((i) => i.op === 'USER').pop()?.args;
  check(
    user && !['root', '0', '0:0'].includes(user),
    'Dockerfile: the runtime stage must end as a non-root USER',
  );
  const hc = runtime.steps.find((i) => i.op === 'HEALTHCHECK');
  check(hc?.args.includes('/api/health'), 'Dockerfile: HEALTHCHECK on /api/health');
  check(
    !runtime.steps.some((i) => i.op === 'COPY' && /^\.\s/.test(i.args)),
    'Dockerfile: the runtime stage copies only what it runs, not the whole context',
  );
}

/** .dockerignore: the few pattern shapes used there (`name`, `*.ext`, `**\/name`, `name.*`). */
function dockerIgnore(text: string): (path: string) => boolean {
  const res = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((p) => {
      const body = p
        .replace(/^\*\*\//, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*');
      return p.startsWith('**/') ? new RegExp(`(^|/)${body}(/|$)`) : new RegExp(`^${body}(/|$)`);
    });
  return (path) => res.some((re) => re.test(path));
}

function checkCompose(): void {
  const doc = parseYaml(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services?: Record<
      string,
      {
        build?: { context?: string };
        image?: string;
        environment?: Record<string, string>;
        volumes?: string[];
        ports?: string[];
        command?: string[];
      }
    >;
  };
  const services = doc.services ?? fail('docker-compose.yml: no services');
  const relays = Object.entries(services).filter(([, s]) => s.build);
  check(relays.length >= 2, 'docker-compose.yml: at least two relay nodes built from the Dockerfile');
  const redis = Object.entries(services).find(([, s]) => s.image?.startsWith('redis:'));
  check(redis, 'docker-compose.yml: a redis service');
  for (const [name, s] of relays) {
    check(
      existsSync(join(repo, s.build!.context ?? '.', 'Dockerfile')),
      `docker-compose.yml: ${name}'s build context has no Dockerfile`,
    );
    const url = s.environment?.REDIS_URL ?? '';
    check(
      url.startsWith(`redis://${redis[0]}:`),
      `docker-compose.yml: ${name} must use REDIS_URL=redis://${redis[0]}:…`,
    );
    check(!s.ports, `docker-compose.yml: ${name} must not publish ports (it trusts X-Forwarded-For)`);
  }
  check(
    redis[1].command?.join(' ').includes('--appendonly no') && redis[1].command.includes('--save'),
    'docker-compose.yml: Redis without persistence',
  );
  const lb = Object.entries(services).find(([, s]) => s.image?.startsWith('nginx:'));
  check(lb, 'docker-compose.yml: an nginx load balancer');
  for (const v of lb[1].volumes ?? []) {
    const src = v.split(':')[0]!;
    check(existsSync(join(repo, src)), `docker-compose.yml: ${lb[0]} mounts ${src}, which does not exist`);
  }
  const conf = readFileSync(join(repo, 'deploy', 'nginx.conf'), 'utf8').replace(/#.*$/gm, '');
  for (const [name] of relays)
    check(new RegExp(`server\\s+${name}:3000`).test(conf), `deploy/nginx.conf: upstream lacks ${name}`);
  check(!/\b(ip_hash|sticky|hash\s+\$)/.test(conf), 'deploy/nginx.conf: no sticky sessions');
  for (const must of [
    'proxy_buffering off',
    'proxy_set_header Upgrade $http_upgrade',
    'proxy_set_header Connection $connection_upgrade',
    'proxy_set_header CF-Connecting-IP ""',
  ]) {
    check(conf.includes(must), `deploy/nginx.conf: missing "${must}"`);
  }
  check(conf.split('{').length === conf.split('}').length, 'deploy/nginx.conf: unbalanced braces');
}

/**
 * `nginx -t` on the balancer config when nginx is installed (Debian's nginx-light is enough). The
 * relay hosts only resolve inside the compose network, so a copy names loopback instead.
 */
async function checkNginx(work: string): Promise<void> {
  try {
    await sh('command -v nginx');
  } catch {
    step('nginx not installed: deploy/nginx.conf syntax not verified');
    return;
  }
  const dir = join(work, 'nginx');
  mkdirSync(dir);
  const conf = readFileSync(join(repo, 'deploy', 'nginx.conf'), 'utf8').replace(
    /server\s+relay(\d+):3000/g,
    'server 127.0.0.1:300$1',
  );
  writeFileSync(join(dir, 'nginx.conf'), conf);
  await sh(
    `nginx -t -q -c ${JSON.stringify(join(dir, 'nginx.conf'))} -p ${JSON.stringify(dir)} -e ${JSON.stringify(join(dir, 'error.log'))}`,
  );
  step('deploy/nginx.conf parsed by nginx -t');
}

async function checkSystemdUnit(): Promise<void> {
  const unit = join(repo, 'deploy', 'bot2bot-relay.service');
  check(existsSync(unit), 'deploy/bot2bot-relay.service is missing');
  try {
    await sh('command -v systemd-analyze');
  } catch {
    step('systemd-analyze not installed: unit not verified');
    return;
  }
  const out = await sh(`systemd-analyze verify ${JSON.stringify(unit)}`);
  check(out.trim() === '', `systemd-analyze verify: ${out}`);
  step('systemd unit verified (systemd-analyze verify)');
}

// ---------------------------------------------------------------- running the image

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** docs/OPERATING.md shows these two lines, run in a built checkout. */
const FROM_CHECKOUT = ['npm prune --omit=dev', 'node dist/node/relay/main.js'];

/** Starts a relay with `sh -c command` (exec'd, so signals reach node) and waits for its banner. */
async function startRelay(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ReturnType<typeof spawn>; log: () => string }> {
  const child = spawn('sh', ['-c', `exec ${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; !out.includes('listening on'); i++) {
    check(child.exitCode === null && i < 400, `the relay did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, log: () => out };
}

async function stopped(child: ReturnType<typeof spawn>, log: () => string): Promise<void> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const code = await exited;
  check(code === 0, `exit code ${code} after SIGTERM:\n${log()}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'b2b-image-'));
  let relay: ReturnType<typeof spawn> | null = null;
  try {
    step('static checks: Dockerfile, .dockerignore, docker-compose.yml, deploy/nginx.conf, systemd unit');
    const { args, stages } = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
    checkDockerfileShape(stages);
    const ignored = dockerIgnore(readFileSync(join(repo, '.dockerignore'), 'utf8'));
    for (const p of ['node_modules', 'dist', '.git', 'foo.log', 'agent/python/__pycache__/x.pyc'])
      check(ignored(p), `.dockerignore must exclude ${p}`);
    for (const p of ['package.json', 'relay/main.ts', 'agent/python/bot2bot.py'])
      check(!ignored(p), `.dockerignore must not exclude ${p}`);
    checkCompose();
    await checkNginx(work);
    await checkSystemdUnit();
    if (staticOnly) return step('static checks OK (--static: the build steps were not run)');

    // The committed tree, so that the rebuild from a clone below starts from the same files.
    const commit = (await sh('git rev-parse HEAD', { cwd: repo })).trim();
    step(`build context: commit ${commit.slice(0, 12)}, filtered by .dockerignore`);
    const context = join(work, 'context');
    mkdirSync(context);
    await sh(`git archive ${commit} | tar -x -C ${JSON.stringify(context)}`, { cwd: repo });
    const files = (await sh(`git ls-tree -r --name-only ${commit}`, { cwd: repo }))
      .split('\n')
      .filter(Boolean);
    for (const f of files.filter(ignored)) rmSync(join(context, f), { force: true, recursive: true });

    const built = await runStages(stages, args, context, work);
    const runtime = built.get(stages[stages.length - 1]!.name)!;
    const app = join(runtime.root, runtime.workdir);
    check(
      !existsSync(join(app, 'node_modules', 'vite')) && existsSync(join(app, 'node_modules', 'ws')),
      'runtime stage: production dependencies only',
    );
    check(
      !existsSync(join(app, 'relay')) && existsSync(join(app, 'dist', 'node', 'relay', 'main.js')),
      'runtime stage: dist/, not sources',
    );
    check(runtime.cmd && runtime.healthcheck, 'runtime stage: CMD and HEALTHCHECK');

    const port = await freePort();
    const env = {
      ...process.env,
      ...Object.fromEntries(runtime.env),
      HOST: '127.0.0.1',
      PORT: String(port),
      SOURCE_REPO_URL: repo,
      SOURCE_COMMIT: commit,
    };
    step(`start: ${runtime.cmd.join(' ')} (PORT=${port})`);
    const first = await startRelay(
      runtime.cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '),
      app,
      env,
    );
    relay = first.child;
    const log = first.log;
    const base = `http://127.0.0.1:${port}`;
    const hc = await sh(runtime.healthcheck.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), {
      cwd: app,
      env,
    }).then(
      () => true,
      () => false,
    );
    check(hc, 'HEALTHCHECK command failed');
    const health = (await (await fetch(`${base}/api/health`)).json()) as { ok?: boolean };
    check(health.ok === true, '/api/health is not ok');
    step('HEALTHCHECK passes; /api/health ok');

    const source = (await (await fetch(`${base}/api/source`)).json()) as {
      runs_dist: boolean;
      files: unknown[];
      verify: { rebuild: string[]; compare: string[] };
    };
    check(source.runs_dist, '/source: the image runs dist/node');
    step(`/source lists ${source.files.length} files; its rebuild commands, verbatim, in an empty folder:`);
    const verify = join(work, 'verify');
    mkdirSync(verify);
    for (const c of source.verify.rebuild) step(`  $ ${c}`);
    await sh(['set -e', ...source.verify.rebuild].join('\n'), { cwd: verify });
    const checkout = join(verify, 'bot2bot-relay-source');
    for (const c of source.verify.compare) {
      step(`  $ ${c}`);
      step(`    ${(await sh(c, { cwd: checkout })).trim().split('\n').pop() ?? ''}`);
    }

    step('SIGTERM: the relay must exit 0');
    await stopped(relay, log);
    relay = null;

    // docs/OPERATING.md "From a checkout", as the systemd unit runs it: the rebuilt clone, pruned.
    step(`from a checkout: ${FROM_CHECKOUT.join('; ')}`);
    await sh(FROM_CHECKOUT[0]!, { cwd: checkout });
    check(!existsSync(join(checkout, 'node_modules', 'vite')), 'npm prune --omit=dev left dev dependencies');
    const port2 = await freePort();
    const started = await startRelay(FROM_CHECKOUT[1]!, checkout, {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port2),
    });
    relay = started.child;
    const health2 = (await (await fetch(`http://127.0.0.1:${port2}/api/health`)).json()) as { ok?: boolean };
    check(health2.ok === true, 'from a checkout: /api/health is not ok');
    await stopped(relay, started.log);
    relay = null;
    step(`OK in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    relay?.kill('SIGKILL');
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`check-image FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

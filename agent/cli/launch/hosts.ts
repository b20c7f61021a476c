/** What each host is: its command line, and how bot2bot-mcp is configured in it once. */
import { spawnSync } from 'node:child_process';
import { parse } from 'shell-quote';
import { CliError } from '../common.js';
import type { Host } from './prompt.js';

/** How a host starts this relay's own, version-matched copy of the MCP server. */
export function mcpServerCommand(origin: string): string[] {
  return ['npx', '-y', `${origin}/sdk/bot2bot-mcp.tgz`];
}

function templateWords(template: string | undefined): string[] {
  if (!template)
    throw new CliError(
      "--host custom needs --cmd 'TEMPLATE' (the prompt comes on stdin, or where {prompt} stands)",
    );
  // Environment references stay literal: the template is data, not a shell script.
  const words = parse(template, (name) => `$${name}`);
  if (words.length === 0) throw new CliError('--cmd is empty');
  return words.map((w) => {
    if (typeof w !== 'string')
      throw new CliError('--cmd must be one command, without shell operators, globs or comments');
    return w;
  });
}

/**
 * The host's command line. Placeholders are replaced per word, so a prompt stays one argument.
 * The presets read the prompt from stdin: it holds the room link, and a command line is readable
 * by every local user (ps, /proc).
 */
export function hostArgv(
  host: Host,
  template: string | undefined,
  values: { prompt: string; roomUrl: string; sentinel: string },
  passthrough: string[],
): string[] {
  let words: string[];
  switch (host) {
    case 'codex':
      words = ['codex', 'exec', '-'];
      break;
    case 'claude-code':
      words = ['claude', '-p'];
      break;
    case 'custom':
      words = templateWords(template);
      break;
  }
  const subst = (w: string) =>
    w
      .replaceAll('{prompt}', values.prompt)
      .replaceAll('{room_url}', values.roomUrl)
      .replaceAll('{release_sentinel}', values.sentinel);
  return [...words.map(subst), ...passthrough];
}

/** Configure bot2bot-mcp in codex or claude unless it already has it. */
export function ensureMcp(host: Exclude<Host, 'custom'>, origin: string, env: NodeJS.ProcessEnv): void {
  const bin = host === 'codex' ? 'codex' : 'claude';
  const probe = spawnSync(bin, ['mcp', 'get', 'bot2bot'], { stdio: 'ignore', env });
  if (probe.status === 0) return;
  const envFlag = host === 'codex' ? '--env' : '-e';
  const add = spawnSync(
    bin,
    ['mcp', 'add', 'bot2bot', envFlag, `BOT2BOT_BASE=${origin}`, '--', ...mcpServerCommand(origin)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
      encoding: 'utf8',
    },
  );
  if (add.status !== 0) {
    const last = `${add.stdout ?? ''}${add.stderr ?? ''}`.trim().split('\n').pop();
    throw new CliError(`could not add bot2bot-mcp to ${bin}: ${last || `exit ${add.status}`}`);
  }
  process.stderr.write(`bot2bot launch: configured bot2bot-mcp in ${bin} for ${origin}\n`);
}

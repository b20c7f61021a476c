/**
 * MCP server settings from the environment, and the base-URL allowlist: the server only ever
 * talks to relays the operator named (BOT2BOT_BASE, BOT2BOT_MCP_ALLOWED_BASES) or to loopback.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface McpConfig {
  configDir: string;
  defaultBase: string;
  allowedOrigins: Set<string>;
  handle: string | undefined;
  roomName: string | undefined;
  acceptAdoptions: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function originOf(text: string): string | null {
  try {
    const u = new URL(text.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): McpConfig {
  const defaultBase = originOf(env.BOT2BOT_BASE ?? '') ?? 'https://bot2bot.chat';
  const allowed = new Set<string>([defaultBase]);
  for (const part of (env.BOT2BOT_MCP_ALLOWED_BASES ?? '').split(/[\s,]+/)) {
    const o = part && originOf(part);
    if (o) allowed.add(o);
  }
  return {
    configDir: env.BOT2BOT_CONFIG_DIR || join(homedir(), '.config', 'bot2bot'),
    defaultBase,
    allowedOrigins: allowed,
    handle: env.BOT2BOT_MCP_HANDLE || undefined,
    roomName: env.BOT2BOT_MCP_ROOM_NAME || undefined,
    acceptAdoptions: env.BOT2BOT_MCP_ACCEPT_ADOPTIONS === '1' || env.BOT2BOT_MCP_ACCEPT_ADOPTIONS === 'true',
  };
}

/** Throws unless `origin` is allowed: listed, or http(s) on a loopback host. */
export function checkOrigin(cfg: McpConfig, origin: string): void {
  const u = new URL(origin);
  if (LOOPBACK.has(u.hostname) || cfg.allowedOrigins.has(u.origin)) return;
  throw new Error(
    `base URL ${u.origin} is not allowed; allowed: ${[...cfg.allowedOrigins].join(', ')} and loopback. Set BOT2BOT_MCP_ALLOWED_BASES to add it.`,
  );
}

/** fetch that never follows a redirect: a 3xx answer surfaces as an error instead. */
export const noRedirectFetch: typeof fetch = (input, init) => fetch(input, { ...init, redirect: 'manual' });

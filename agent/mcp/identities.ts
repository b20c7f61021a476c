/**
 * The MCP server's two identities:
 * - the hidden auth identity `mcp-<6hex>` (or BOT2BOT_MCP_HANDLE) that owns the claim/ack
 *   cursor, stored as mcp_identity.key (box_sk‖sign_seed, 64 bytes) + mcp_identity.json;
 * - an optional room identity per relay, set by an accepted adopt offer and stored in
 *   mcp_room_identity-<sha12(base)>.json; posts are signed with it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  identityFromRecord,
  identityFromSecrets,
  identityToRecord,
  newIdentity,
  normalizeHandle,
  randomBytes,
  sha256Hex,
  type Identity,
} from '../../protocol/index.js';
import { registerIdentity } from '../sdk/index.js';
import type { McpConfig } from './config.js';

function writePrivate(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

export class Identities {
  private auth: Identity | null = null;
  private readonly registered = new Map<string, Promise<void>>();

  constructor(private readonly cfg: McpConfig) {}

  private ensureDir(): void {
    mkdirSync(this.cfg.configDir, { recursive: true, mode: 0o700 });
  }

  /** The auth identity, created and saved on first use. */
  authIdentity(): Identity {
    if (this.auth) return this.auth;
    const keyPath = join(this.cfg.configDir, 'mcp_identity.key');
    const metaPath = join(this.cfg.configDir, 'mcp_identity.json');
    if (existsSync(keyPath) && existsSync(metaPath)) {
      const bytes = new Uint8Array(readFileSync(keyPath));
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { handle?: unknown };
      if (bytes.length !== 64 || typeof meta.handle !== 'string')
        throw new Error(`${keyPath} / ${metaPath} are damaged; move them away to get a fresh identity`);
      this.auth = identityFromSecrets(meta.handle, bytes.slice(0, 32), bytes.slice(32, 64));
      return this.auth;
    }
    const wanted = this.cfg.handle
      ? normalizeHandle(this.cfg.handle)
      : `mcp-${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    if (!wanted)
      throw new Error(`BOT2BOT_MCP_HANDLE "${this.cfg.handle}" is not a valid handle (2–32 of a–z 0–9 _ -)`);
    const id = newIdentity(wanted);
    this.ensureDir();
    const secrets = new Uint8Array(64);
    secrets.set(id.boxSecretKey, 0);
    secrets.set(id.signSeed, 32);
    writePrivate(keyPath, secrets);
    writePrivate(metaPath, `${JSON.stringify({ handle: id.handle, created_at: Date.now() })}\n`);
    this.auth = id;
    return id;
  }

  /** Register the auth identity on a relay once per process (the relay may have restarted since). */
  registerAt(origin: string): Promise<void> {
    let p = this.registered.get(origin);
    if (!p) {
      p = registerIdentity(origin, this.authIdentity(), { refuseRedirects: true, timeoutMs: 15_000 }).then(
        () => undefined,
      );
      p.catch(() => this.registered.delete(origin));
      this.registered.set(origin, p);
    }
    return p;
  }

  private roomIdentityPath(origin: string): string {
    return join(this.cfg.configDir, `mcp_room_identity-${sha256Hex(origin).slice(0, 12)}.json`);
  }

  roomIdentity(origin: string): Identity | undefined {
    const path = this.roomIdentityPath(origin);
    if (!existsSync(path)) return undefined;
    try {
      const r = identityFromRecord(JSON.parse(readFileSync(path, 'utf8')));
      return r.ok ? r.value : undefined;
    } catch {
      return undefined;
    }
  }

  saveRoomIdentity(origin: string, id: Identity): void {
    this.ensureDir();
    writePrivate(
      this.roomIdentityPath(origin),
      `${JSON.stringify({ ...identityToRecord(id), base: origin, adopted_at: Date.now() })}\n`,
    );
  }
}

/**
 * Where each room's "new work" begins for a handle. The first claim in a room records the room's
 * last_seq at the moment the agent joined it: everything up to there is history (context), not
 * tasks. Later runs read the same mark, so a restart keeps the server cursor's at-least-once
 * delivery for everything after it. 0 means "the whole backlog is work". Kept in a small JSON
 * file beside the identity (mcp_joined.json, cli_joined.json), bounded.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX_ROOMS = 1000;

export class JoinedRooms {
  private marks: Map<string, number> | null = null;

  constructor(
    private readonly configDir: string,
    private readonly file: string,
  ) {}

  private get path(): string {
    return join(this.configDir, this.file);
  }

  private load(): Map<string, number> {
    if (this.marks) return this.marks;
    this.marks = new Map();
    if (existsSync(this.path)) {
      try {
        const raw = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, unknown>;
        for (const [k, v] of Object.entries(raw))
          if (typeof v === 'number' && Number.isFinite(v)) this.marks.set(k, v);
      } catch {
        // A damaged file only costs the marks: the rooms count as never joined.
      }
    }
    return this.marks;
  }

  static key(handle: string, origin: string, roomId: string): string {
    return `${handle} ${origin}/${roomId}`;
  }

  get(key: string): number | undefined {
    return this.load().get(key);
  }

  set(key: string, seq: number): void {
    const m = this.load();
    m.delete(key);
    m.set(key, seq);
    while (m.size > MAX_ROOMS) m.delete(m.keys().next().value!);
    mkdirSync(this.configDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(m)), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

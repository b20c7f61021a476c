/**
 * Operator state on disk: one JSON file per set (identities, agent profiles), written atomically
 * (temp file + rename) and debounced, so a crash leaves either the old file or the new one.
 * Only public material reaches these files; message and DM content never does.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A state file bigger than this is refused at load rather than parsed (the reference's fuse). */
export const STATE_FILE_MAX_BYTES = 64 * 1024 * 1024;
export const PERSIST_DEBOUNCE_MS = 1000;

export class JsonFile {
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly snapshot: () => unknown,
    private readonly debounceMs = PERSIST_DEBOUNCE_MS,
  ) {}

  static in(dir: string, name: string, snapshot: () => unknown): JsonFile {
    mkdirSync(dir, { recursive: true });
    return new JsonFile(join(dir, name), snapshot);
  }

  /** The parsed file, or null when it is missing, too large or not JSON (logged, not fatal). */
  read(): unknown {
    try {
      if (statSync(this.path).size > STATE_FILE_MAX_BYTES) {
        console.error(
          JSON.stringify({ level: 'warn', state: this.path, error: 'state file too large; ignored' }),
        );
        return null;
      }
      return JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        console.error(
          JSON.stringify({
            level: 'warn',
            state: this.path,
            error: e instanceof Error ? e.name : 'unreadable',
          }),
        );
      }
      return null;
    }
  }

  /** Schedule a write; many changes within the debounce window become one write. */
  changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Write now if anything changed (shutdown path; synchronous so it completes before exit). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.snapshot()), { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (e) {
      this.dirty = true;
      console.error(
        JSON.stringify({
          level: 'error',
          state: this.path,
          error: e instanceof Error ? e.message : 'write failed',
        }),
      );
    }
  }
}

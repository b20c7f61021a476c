/**
 * One listener per room: ~/.config/bot2bot/locks/<room>.lock, created exclusively and holding
 * the owner's pid; a lock whose pid is gone is stale and taken over. agent_bot2bot.py follows
 * the same rule on the same file, so the Python and TypeScript launchers exclude each other.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, configDir } from '../common.js';

export const EXIT_LOCKED = 3;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RoomLock {
  readonly path: string;
  private held = false;

  constructor(roomId: string) {
    this.path = join(configDir(), 'locks', `${roomId}.lock`);
  }

  acquire(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(this.path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = this.holder();
      if (holder !== null && alive(holder)) {
        throw new CliError(
          `another listener (pid ${holder}) already holds this room (${this.path}); stop it first`,
          EXIT_LOCKED,
        );
      }
      try {
        unlinkSync(this.path);
      } catch {
        // Another launcher removed the stale lock first; try again.
      }
    }
    throw new CliError(`could not take the room lock ${this.path}`, EXIT_LOCKED);
  }

  release(): void {
    if (this.held && this.holder() === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
    this.held = false;
  }

  private holder(): number | null {
    try {
      const text = readFileSync(this.path, 'ascii').slice(0, 32).trim();
      return /^\d+$/.test(text) ? Number(text) : null;
    } catch {
      return null;
    }
  }
}

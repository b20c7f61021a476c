import { describe, expect, it } from 'vitest';
import { formatLater } from './markdownLane.js';

const tasks = (n: number) => new Promise<void>((r) => setTimeout(r, n));

describe('markdown lane', () => {
  it('wakes waiting messages in later tasks, newest first, and forgets withdrawn ones', async () => {
    const woke: string[] = [];
    formatLater(() => woke.push('old'));
    const withdraw = formatLater(() => woke.push('gone'));
    formatLater(() => woke.push('new'));
    withdraw();
    expect(woke).toEqual([]);
    await tasks(50);
    expect(woke).toEqual(['new', 'old']);
  });
});

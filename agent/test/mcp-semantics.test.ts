/**
 * bot2bot-mcp beyond the reference: what a newly invited agent treats as work, the loop guard,
 * optimistic posting, and the metadata hosts read (titles, annotations, output schemas, version).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { MCP, ROOT, requireBuilt } from './cli.js';
import { roomOn, tempDir, webHuman } from './helpers.js';
import { startMcpHost, type McpHost } from './mcpHost.js';

let r: TestRelay;
const dir = tempDir('b2b-mcpsem-');
const open: Client[] = [];
const quiet = { onWarning: () => undefined };

function agent(configName: string, env: Record<string, string> = {}): Promise<McpHost> {
  return startMcpHost({ base: r.url, home: dir.path, configName, open, env });
}

beforeAll(async () => {
  requireBuilt(MCP);
  r = await startRelay();
});
afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await r.close();
  dir.cleanup();
});

describe('a newly invited MCP agent', () => {
  it('gets the earlier messages once as context, claims only what comes after, and keeps its place across a restart', async () => {
    const url = roomOn(r.url);
    const human = new Room(url, { name: 'alice', ...quiet });
    await human.send('@bob-mcp is talking to someone else about lunch');
    await human.send('once the agent joins: please review the plan');

    const a = await agent('fresh', { BOT2BOT_MCP_ROOM_NAME: 'helper' });
    const first = await a.call('claim_task', { url, timeout_seconds: 1 });
    expect(first.text).toMatch(/^\(no new messages/);
    expect(first.text).toMatch(
      /\(context — the room's last 2 messages from before you joined\. They are history, not tasks/,
    );
    expect(first.text).toMatch(/alice: once the agent joins: please review the plan\n\(end of context\)/);
    expect(first.data).toMatchObject({ status: 'empty', skipped_backlog: 2 });
    expect((first.data!.history as Array<{ text: string }>).map((m) => m.text)).toEqual([
      '@bob-mcp is talking to someone else about lunch',
      'once the agent joins: please review the plan',
    ]);

    await human.send('@helper are you there?');
    const task = await a.call('claim_task', { url, timeout_seconds: 5 });
    expect(task.text).toMatch(/\] alice: @helper are you there\?/);
    expect(task.text).not.toMatch(/context/);
    expect(task.data).toMatchObject({
      status: 'message',
      message: { sender: 'alice', text: '@helper are you there?', sender_verified: false },
    });
    expect(task.data).not.toHaveProperty('history');
    await a.call('ack_task', {
      url,
      claim_id: task.data!.claim_id,
      seq: (task.data!.message as { seq: number }).seq,
    });
    await a.client.close();

    // A restart: the server cursor is authoritative, the old history stays history.
    await human.send('while you were away');
    const again = await agent('fresh', { BOT2BOT_MCP_ROOM_NAME: 'helper' });
    const resumed = await again.call('next_task', { url, timeout_seconds: 5 });
    expect(resumed.text).toMatch(/\] alice: while you were away\n\(acked/);
    expect(resumed.data).toMatchObject({ status: 'message', acked: true });
  });

  it('include_backlog on the first claim makes the earlier messages tasks', async () => {
    const url = roomOn(r.url);
    await new Room(url, { name: 'alice', ...quiet }).send('old request');
    const a = await agent('backlog');
    const c = await a.call('next_task', { url, timeout_seconds: 5, include_backlog: true });
    expect(c.text).toMatch(/\] alice: old request/);
    expect(c.data).not.toHaveProperty('history');
  });
});

describe('loop guard', () => {
  it('send_message refuses after the budget with no human in between, and a human lifts it', async () => {
    const url = roomOn(r.url);
    const mcp = await agent('looper', { BOT2BOT_REPLY_BUDGET: '2', BOT2BOT_MCP_ROOM_NAME: 'looper' });
    const other = new Room(url, quiet); // agent-xxxxxx: a default agent label
    // Join first, so what follows is new work.
    await mcp.call('claim_task', { url, timeout_seconds: 1 });
    const turn = async () => {
      const c = await mcp.call('next_task', { url, timeout_seconds: 5 });
      expect(c.data!.status).toBe('message');
      return mcp.call('send_message', {
        url,
        text: `reply to ${(c.data!.message as { text: string }).text}`,
      });
    };
    await other.send('ping 1');
    expect((await turn()).isError).toBe(false);
    await other.send('ping 2');
    expect((await turn()).isError).toBe(false);
    await other.send('ping 3');
    const refused = await turn();
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(
      /^send_message failed: loop guard: this agent has replied 2 times in a row with no human in between/,
    );
    // Another SDK client is an agent whatever its name; a person in the web app is human.
    await new Room(url, { name: 'carol', ...quiet }).send('not a human: go on');
    expect((await turn()).isError).toBe(true);
    const human = await webHuman(url, 'alice');
    human.say('a human: go on');
    expect((await turn()).isError).toBe(false);
    await human.close();
    const mine = (await other.history()).filter((m) => m.sender === 'looper').map((m) => m.text);
    expect(mine).toEqual(['reply to ping 1', 'reply to ping 2', 'reply to a human: go on']);
  });
});

describe('send_message options and tool metadata', () => {
  it('reply_to threads the answer; expected_last_seq refuses a stale post and names the new last_seq', async () => {
    const url = roomOn(r.url);
    const human = new Room(url, { name: 'alice', ...quiet });
    const q = await human.send('question');
    const a = await agent('opts');
    const sent = await a.call('send_message', {
      url,
      text: 'answer',
      reply_to: q.id,
      expected_last_seq: q.seq,
    });
    expect(sent.data).toMatchObject({ seq: q.seq + 1, message_id: expect.any(String) });
    await human.send('follow-up');
    const stale = await a.call('send_message', { url, text: 'late', expected_last_seq: q.seq + 1 });
    expect(stale.isError).toBe(true);
    expect(stale.text).toMatch(/not sent: the room has moved on \(last_seq=\d+/);
    const hist = await human.history();
    expect(hist.map((m) => [m.text, m.replyTo ?? null])).toEqual([
      ['question', null],
      ['answer', q.id],
      ['follow-up', null],
    ]);
  });

  it('tools carry titles, annotations and output schemas; the server reports its package version', async () => {
    const a = await agent('meta');
    const { tools } = await a.client.listTools();
    const by = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const t of tools) {
      expect(t.title, t.name).toBeTruthy();
      expect(t.annotations, t.name).toBeDefined();
      expect(t.outputSchema?.type, t.name).toBe('object');
    }
    expect(by.get_transcript!.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(by.send_message!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: true,
    });
    expect(by.ack_task!.annotations).toMatchObject({ idempotentHint: true });
    expect(Object.keys(by.send_message!.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['reply_to', 'expected_last_seq']),
    );
    expect(Object.keys(by.claim_task!.inputSchema.properties ?? {})).toContain('include_backlog');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(a.client.getServerVersion()).toMatchObject({ name: 'bot2bot-mcp', version: pkg.version });
    const instructions = a.client.getInstructions() ?? '';
    expect(instructions).toMatch(/history, not tasks/);
    expect(instructions).toMatch(/Loop guard/);
    const st = await a.call('room_status', { url: roomOn(r.url) });
    expect(st.data).toEqual({ exists: false, room_id: expect.any(String) });
  });
});

describe('registry metadata', () => {
  it('server.json names the package, its version and its stdio transport; SKILL.md has the skill front matter', async () => {
    const server = JSON.parse(readFileSync(join(ROOT, 'agent/mcp/server.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(server.$schema).toMatch(
      /^https:\/\/static\.modelcontextprotocol\.io\/schemas\/.+\/server\.schema\.json$/,
    );
    expect(server.name).toMatch(/^[^/]+\/bot2bot-mcp$/);
    const pkgs = server.packages as Array<{
      registryType: string;
      identifier: string;
      transport: { type: string };
    }>;
    expect(pkgs[0]).toMatchObject({
      registryType: 'npm',
      identifier: 'bot2bot-mcp',
      transport: { type: 'stdio' },
      version: server.version,
    });
    expect((server.description as string).length).toBeLessThanOrEqual(100);
    const env = (
      pkgs[0] as unknown as { environmentVariables: Array<{ name: string }> }
    ).environmentVariables.map((e) => e.name);
    expect(env).toEqual(
      expect.arrayContaining(['BOT2BOT_BASE', 'BOT2BOT_REPLY_BUDGET', 'BOT2BOT_HUMANS', 'BOT2BOT_AGENTS']),
    );
    const a = await agent('registry');
    expect(a.client.getServerVersion()?.version).toBe(server.version);
    const skill = readFileSync(join(ROOT, 'agent/mcp/SKILL.md'), 'utf8');
    expect(skill).toMatch(/^---\nname: bot2bot\ndescription: .+\n---\n/);
    expect(skill).toMatch(/claim_task/);
  });
});

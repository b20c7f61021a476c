/** A test MCP host: starts bot2bot-mcp over stdio against a relay and calls its tools. */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MCP } from './cli.js';

export interface ToolResult {
  text: string;
  isError: boolean;
  data: Record<string, unknown> | undefined;
}

export interface McpHost {
  client: Client;
  transport: StdioClientTransport;
  call(tool: string, args: Record<string, unknown>): Promise<ToolResult>;
}

/** One server with its own config dir under `home`; every client is recorded in `open` for cleanup. */
export async function startMcpHost(opts: {
  base: string;
  home: string;
  configName: string;
  open: Client[];
  env?: Record<string, string>;
}): Promise<McpHost> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: opts.home,
      BOT2BOT_CONFIG_DIR: join(opts.home, opts.configName),
      BOT2BOT_BASE: opts.base,
      ...opts.env,
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'test-host', version: '1.0.0' });
  await client.connect(transport);
  opts.open.push(client);
  return {
    client,
    transport,
    async call(tool, args) {
      const res = (await client.callTool({ name: tool, arguments: args })) as {
        content: Array<{ text?: string }>;
        isError?: boolean;
        structuredContent?: Record<string, unknown>;
      };
      return {
        text: res.content.map((c) => c.text ?? '').join('\n'),
        isError: res.isError === true,
        data: res.structuredContent,
      };
    },
  };
}

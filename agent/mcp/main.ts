#!/usr/bin/env node
/**
 * `bot2bot-mcp`: the Bot2Bot MCP server on stdio. stdout carries the MCP protocol only; every
 * diagnostic goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createServer } from './server.js';

async function main(): Promise<void> {
  const { server, sessions } = createServer();
  const shutdown = () => {
    sessions.closeAll();
    void server.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  process.stdin.once('end', shutdown);
  await server.connect(new StdioServerTransport());
}

main().catch((e: unknown) => {
  process.stderr.write(`bot2bot-mcp: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

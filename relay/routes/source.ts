/**
 * `/source`: the SHA-256 of every file this relay serves and runs, hashed once at startup in the
 * background, with the commands to rebuild the same commit and compare. `/source.sha256` is the
 * bare list (sha256sum format), `/api/source` the same as JSON.
 */
import { z } from 'zod';
import type { RelayDeps } from '../deps.js';
import { HttpError, sendJson, sendText } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';
import { hashSourceFiles, sha256sumText, type SourceFile } from '../source/hashes.js';
import { verifyInstructions, type VerifyInstructions } from '../source/instructions.js';
import { compileTrust } from '../http/clientIp.js';
import { originOf } from './docs.js';

const SourceReport = z
  .object({
    repository: z.string().nullable(),
    commit: z.string().nullable(),
    node: z.string(),
    /** Whether this process runs the compiled files listed (dist/node) or TypeScript sources. */
    runs_dist: z.boolean(),
    files: z.array(z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int() })),
    verify: z.object({
      rebuild: z.array(z.string()),
      compare: z.array(z.string()),
      notes: z.array(z.string()),
    }),
  })
  .meta({ id: 'SourceReport' });

const CACHE = 'no-cache';

function page(
  files: readonly SourceFile[],
  v: VerifyInstructions,
  repo: string | null,
  commit: string | null,
  runsDist: boolean,
): string {
  const lines = [
    'Bot2Bot relay: the files this server runs and serves, with their SHA-256',
    '',
    `Source:  ${repo ?? '(not published by the operator)'}`,
    `Commit:  ${commit ?? '(not recorded by the operator)'}`,
    `Running: ${runsDist ? 'the compiled files listed under dist/node' : 'TypeScript sources (a development run): dist/node is listed but not what runs'}`,
    'Hashed at startup. The list alone: /source.sha256 (sha256sum format); as JSON: /api/source.',
    '',
    'To rebuild and compare, run in an empty folder:',
    '',
    ...v.rebuild.map((c) => `  ${c}`),
    '',
    'then either of:',
    '',
    ...v.compare.map((c) => `  ${c}`),
    '',
    ...v.notes,
    '',
    `${files.length} files:`,
    '',
    sha256sumText(files),
  ];
  return lines.join('\n');
}

/**
 * Started by the server at start-up, awaited by requests: startup does not wait for it. One
 * hashing per process and layout: several relays in one process (tests) share it.
 */
const hashings = new Map<string, Promise<SourceFile[]>>();
export function hashSourcesOnce(root: string, webDir: string | null): Promise<SourceFile[]> {
  const key = JSON.stringify([root, webDir]);
  let p = hashings.get(key);
  if (!p) {
    p = hashSourceFiles({ root, webDir });
    p.catch((e: unknown) => {
      hashings.delete(key);
      console.error(
        JSON.stringify({ level: 'error', at: '/source', error: e instanceof Error ? e.message : 'unknown' }),
      );
    });
    hashings.set(key, p);
  }
  return p;
}

export function sourceRoutes(deps: RelayDeps, hashed: Promise<SourceFile[]>): RouteDef[] {
  const { sourceRepoUrl: repo, sourceCommit: commit } = deps.config;
  const runsDist = import.meta.url.includes('/dist/node/');
  const files = async () => {
    try {
      return await hashed;
    } catch {
      throw new HttpError(503, 'source hashes unavailable');
    }
  };
  const trustRule = compileTrust(deps.config.trustProxy);
  const instructions = (req: Parameters<typeof originOf>[1]) =>
    verifyInstructions(originOf(deps, req, trustRule), repo, commit, process.version);

  return [
    route({
      method: 'GET',
      path: '/source',
      tag: 'Operations',
      summary: 'SHA-256 of every file this relay serves and runs, and how to rebuild and compare',
      responses: { 200: { description: 'plain text', contentType: 'text/plain' } },
      async handler({ req, res }) {
        sendText(
          res,
          200,
          'text/plain; charset=utf-8',
          page(await files(), instructions(req), repo, commit, runsDist),
          CACHE,
        );
      },
    }),
    route({
      method: 'GET',
      path: '/source.sha256',
      tag: 'Operations',
      summary: 'The same list in sha256sum format (`sha256sum -c` reads it)',
      responses: { 200: { description: 'sha256sum list', contentType: 'text/plain' } },
      async handler({ res }) {
        sendText(res, 200, 'text/plain; charset=utf-8', sha256sumText(await files()), CACHE);
      },
    }),
    route({
      method: 'GET',
      path: '/api/source',
      tag: 'Operations',
      summary: 'The same list and instructions as JSON',
      responses: { 200: { description: 'files and instructions', schema: SourceReport } },
      async handler({ req, res }) {
        const body: z.infer<typeof SourceReport> = {
          repository: repo,
          commit,
          node: process.version,
          runs_dist: runsDist,
          files: await files(),
          verify: instructions(req),
        };
        sendJson(res, 200, body);
      },
    }),
  ];
}

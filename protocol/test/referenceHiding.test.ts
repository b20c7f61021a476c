/**
 * What clients written for Bot2Bot.chat do with this relay's file and edit envelopes. Their code
 * is not here to run, so these are their documented rules (reference-client.md §2.2, §3.8, §3.9)
 * written out as small functions: the browser tries adopt, delete, react and history interceptors
 * in that order and renders anything else as text; its Python SDK and MCP server filter adopt
 * envelopes only. Every other client of this repository classifies with `classifyPlaintext`.
 */
import { describe, expect, it } from 'vitest';
import {
  EDIT_MARKER,
  FILE_MARKER,
  REFERENCE_HIDE_MARKER,
  editEnvelope,
  encodeFileSecret,
  fileEnvelope,
  newFileSecret,
} from '../attachments.js';
import { classifyPlaintext } from '../envelopes.js';

type Seen = { hidden: true } | { hidden: false; shown: string };

const parseObject = (text: string): Record<string, unknown> | null => {
  if (!text.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** The reference browser: the first interceptor that sees its marker consumes the frame. */
function referenceBrowser(text: string): Seen {
  const o = parseObject(text);
  const interceptors = [
    'bot2bot_adopt_v1',
    'bot2bot_delete_v1',
    'bot2bot_react_v1',
    'bot2bot_hist_resp_v1',
    'bot2bot_hist_req_v1',
  ];
  if (o && interceptors.some((m) => o[m] === true)) return { hidden: true };
  return { hidden: false, shown: text };
}

/** An adopt offer is acted on only with target_name and adopt_id (§3.9 step 1). */
const referenceAdoptActs = (o: Record<string, unknown>) =>
  o.bot2bot_adopt_v1 === true && typeof o.target_name === 'string' && typeof o.adopt_id === 'string';

/** The reference Python SDK and MCP server: adopt envelopes are filtered, all else is chat. */
function referenceAgent(text: string): Seen {
  const o = parseObject(text);
  return o?.bot2bot_adopt_v1 === true ? { hidden: true } : { hidden: false, shown: text };
}

const file = fileEnvelope({
  blob_id: 'A'.repeat(22),
  token: 'B'.repeat(22),
  ...encodeFileSecret(newFileSecret()),
  name: 'shot.png',
  type: 'image/png',
  size: 10,
  chunk_size: 262144,
  chunks: 1,
  sha256: '0'.repeat(64),
  text: 'caption',
});
const edit = editEnvelope('abcdefgh', 'new text');

describe('file and edit envelopes in clients written for Bot2Bot.chat', () => {
  it('are hidden by the reference browser, Python SDK and MCP server, and set off nothing', () => {
    for (const env of [file, edit]) {
      expect(referenceBrowser(env)).toEqual({ hidden: true });
      expect(referenceAgent(env)).toEqual({ hidden: true });
      expect(referenceAdoptActs(parseObject(env)!)).toBe(false);
      expect(parseObject(env)![REFERENCE_HIDE_MARKER]).toBe(true);
    }
  });

  it("are files and edits to this relay's clients", () => {
    const f = classifyPlaintext(file);
    expect(f.kind).toBe('file');
    expect(f.kind === 'file' && f.envelope.name).toBe('shot.png');
    expect(classifyPlaintext(edit)).toEqual({
      kind: 'edit',
      envelope: { bot2bot_edit_v1: true, target_id: 'abcdefgh', text: 'new text' },
    });
  });

  it('without the adopt marker they would show as raw JSON there (and are still read here)', () => {
    const bare = (env: string) => {
      const o = parseObject(env)!;
      delete o[REFERENCE_HIDE_MARKER];
      return JSON.stringify(o);
    };
    for (const [env, marker] of [
      [file, FILE_MARKER],
      [edit, EDIT_MARKER],
    ] as const) {
      expect(referenceBrowser(bare(env)).hidden).toBe(false);
      expect(referenceAgent(bare(env)).hidden).toBe(false);
      expect(classifyPlaintext(bare(env)).kind).toBe(marker === FILE_MARKER ? 'file' : 'edit');
    }
  });
});

/**
 * Per-room state of the MCP server. For each room touched by a room tool: a Room that posts
 * under the room label (signed only once adopted), a Room that owns the claim cursor as the
 * hidden auth identity, the set of labels used this session (never claimed back: self-echo),
 * and a background SSE presence loop that advertises box_pub and applies adopt offers.
 */
import { Room, parseRoomUrl, type Message } from '../sdk/index.js';
import { checkOrigin, noRedirectFetch, type McpConfig } from './config.js';
import type { Identities } from './identities.js';
import { JoinedRooms } from '../sdk/joined.js';

const log = (text: string) => process.stderr.write(`bot2bot-mcp: ${text}\n`);

export interface RoomSession {
  url: string;
  origin: string;
  /** Posts: label as sender, signed with the adopted room identity if any. */
  room: Room;
  /** Claims and acks as the hidden auth identity. */
  cursorRoom: Room;
  /** Every label used in this room this session, plus the current one. */
  labels: Set<string>;
  presence: AbortController | null;
  roomId: string;
  /** The room's last_seq when this session first touched it: what came before is history. */
  joinSeq: number;
  /** Claimed messages up to this seq are history, acked without being shown; null until the first claim. */
  skipUpTo: number | null;
}

export class Sessions {
  private readonly byUrl = new Map<string, RoomSession>();
  readonly joined: JoinedRooms;

  constructor(
    private readonly cfg: McpConfig,
    private readonly ids: Identities,
  ) {
    this.joined = new JoinedRooms(cfg.configDir, 'mcp_joined.json');
  }

  /** Parse and allow-check a room URL without touching the network. */
  check(url: string): { origin: string; roomId: string } {
    const link = parseRoomUrl(url);
    checkOrigin(this.cfg, link.origin);
    return { origin: link.origin, roomId: link.roomId };
  }

  /** A plain reader (transcript, status): no identity, no presence. */
  reader(url: string): Room {
    this.check(url);
    return new Room(url, {
      name: 'mcp-reader',
      refuseRedirects: true,
      fetch: noRedirectFetch,
      onWarning: log,
    });
  }

  /** The full session: identities registered, presence loop running. */
  async session(url: string, name?: string): Promise<RoomSession> {
    const { origin, roomId } = this.check(url);
    const key = `${origin}/${roomId}`;
    let s = this.byUrl.get(key);
    if (!s) {
      const auth = this.ids.authIdentity();
      await this.ids.registerAt(origin);
      const adopted = this.ids.roomIdentity(origin);
      const label = adopted ? `@${adopted.handle}` : (this.cfg.roomName ?? auth.handle);
      const common = { refuseRedirects: true, fetch: noRedirectFetch, onWarning: log } as const;
      const room = new Room(url, {
        ...common,
        name: label,
        identity: adopted,
        acceptAdoptions: this.cfg.acceptAdoptions,
        saveIdentity: (id) => this.ids.saveRoomIdentity(origin, id),
        onAdopt: (e) => {
          log(`adopted @${e.handle} (offered by ${e.offeredBy}) in room ${roomId}`);
          s?.labels.add(`@${e.handle}`);
        },
      });
      // Only `room` posts chat, so only its reply budget counts; claims feed it too (tools.ts).
      const cursorRoom = new Room(url, { ...common, name: label, identity: auth, replyBudget: false });
      const joinSeq = (await room.status()).last_seq ?? 0;
      s = {
        url,
        origin,
        room,
        cursorRoom,
        labels: new Set([label]),
        presence: null,
        roomId,
        joinSeq,
        skipUpTo: null,
      };
      this.byUrl.set(key, s);
      this.startPresence(s);
    }
    if (name && !s.room.identity) s.labels.add(name);
    return s;
  }

  /** The label the room sees: `name` if given and not adopted, else the current room label. */
  labelFor(s: RoomSession, name?: string): string {
    if (s.room.identity) return `@${s.room.identity.handle}`;
    return name ?? s.room.name;
  }

  /** Every label this session must never claim back. */
  excluded(s: RoomSession): string[] {
    const out = new Set([...s.labels, s.room.name]);
    if (s.room.identity) out.add(`@${s.room.identity.handle}`);
    return [...out];
  }

  /** The key of this session's join mark (per auth handle and room). */
  joinKey(s: RoomSession): string {
    return JoinedRooms.key(s.cursorRoom.identity!.handle, s.origin, s.roomId);
  }

  private startPresence(s: RoomSession): void {
    const ctrl = new AbortController();
    s.presence = ctrl;
    void (async () => {
      // Consuming the stream is what keeps us present and applies adopt offers; the messages
      // themselves reach the host through claim_task / wait_for_messages.
      try {
        for await (const _m of s.room.stream({
          signal: ctrl.signal,
          includeSelf: true,
        }) as AsyncGenerator<Message>) {
          void _m;
        }
      } catch (e) {
        if (!ctrl.signal.aborted)
          log(`presence loop for ${s.origin} stopped: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
  }

  closeAll(): void {
    for (const s of this.byUrl.values()) {
      s.presence?.abort();
      s.room.close();
      s.cursorRoom.close();
    }
    this.byUrl.clear();
  }
}

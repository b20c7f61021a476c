/** What the rest of the relay needs from the identity registry. */

export interface IdentityRecord {
  handle: string;
  /** Strict base64, as registered. */
  box_pub: string;
  sign_pub: string;
  registered_at: number;
  meta: { bio?: string };
  last_seen_at: number;
  /** Next DM inbox seq; persisted so inbox seqs stay monotonic across restarts. */
  inbox_seq: number;
}

export interface SenderFields {
  sender_handle?: unknown;
  sender_ts?: unknown;
  sender_nonce?: unknown;
  sender_sig?: unknown;
}

export interface IdentityService {
  get(handle: string): IdentityRecord | undefined;
  /** A signed room post's handle (lowercased) when its signature holds; null means 401 `bad sender_sig`. */
  verifyRoomPost(
    roomId: string,
    fields: SenderFields & { ciphertext: string },
    now: number,
    ip: string,
  ): string | null;
  /** Owner-signed routes: `Authorization: Bot2Bot ts=…,n=…,sig=…` over `<METHOD> <originalUrl> <ts> <nonce>`. */
  verifyRequest(
    handle: string,
    method: string,
    originalUrl: string,
    header: string | undefined,
    now: number,
    ip: string,
  ): boolean;
}

/**
 * WebSocket close codes on the room stream (RFC 6455 §7.4.1; 4000–4999 are the application's
 * own). Clients decide by the code whether to reconnect at once, back off, or report a bug.
 */
export const WS_CLOSE = {
  /** The client leaves the room. */
  normal: 1000,
  /** The relay shuts down; reconnect (to another node). */
  goingAway: 1001,
  /** Too many streams from the address, too many frames before ready, or the frame budget spent. */
  policyViolation: 1008,
  /** Something failed in the relay; reconnecting is safe. */
  internalError: 1011,
  /** Try again later: a slow consumer, or a join the room refused; resume with ?after=. */
  tryAgainLater: 1013,
  /** Closed by the client: its liveness probe went unanswered, so the socket is presumed dead. */
  livenessTimeout: 4000,
} as const;

export type WsCloseCode = (typeof WS_CLOSE)[keyof typeof WS_CLOSE];

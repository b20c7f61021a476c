/** Errors the SDK throws: each says what went wrong and, where it can, what to do about it. */

export class Bot2BotError extends Error {
  override name = 'Bot2BotError';
}

/** A room link that cannot be used (bad URL, room id or key). */
export class RoomUrlError extends Bot2BotError {
  override name = 'RoomUrlError';
}

/** The relay answered with a non-2xx status. `body` is the parsed JSON when there was any. */
export class HttpError extends Bot2BotError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly what: string,
  ) {
    super(`${what} failed: ${status} ${HttpError.describe(body)}`);
  }

  /** The relay's `error` string when present, else the raw body. */
  get errorText(): string {
    return HttpError.describe(this.body);
  }

  static describe(body: unknown): string {
    if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string')
      return JSON.stringify(body);
    if (typeof body === 'string') return body.slice(0, 300);
    return body === undefined ? '' : JSON.stringify(body);
  }
}

/** A post with `expectedLastSeq` was refused: the room moved on to `lastSeq`. Nothing was stored. */
export class RoomMovedOnError extends HttpError {
  override name = 'RoomMovedOnError';
  constructor(
    body: unknown,
    readonly lastSeq: number,
  ) {
    super(409, body, 'send');
  }
}

/** Registration refused because another key owns the handle, or it is reserved. */
export class HandleTakenError extends Bot2BotError {
  override name = 'HandleTakenError';
}

/** A call that needs a registered identity was made without one. */
export class NoIdentityError extends Bot2BotError {
  override name = 'NoIdentityError';
}

/**
 * A minimal Server-Sent Events reader over a fetch body. The relay sends only `data:` lines and
 * `: keepalive` comments (reference-relay.md §2.2), but the parser follows the SSE rules
 * (multi-line data, CRLF, optional space after the colon) so a proxy reformatting the stream
 * does not break it.
 */

export interface SseHandlers {
  /** Called for every chunk of bytes, comments included: the stream is alive. */
  onActivity?: () => void;
}

export async function* sseData(
  body: ReadableStream<Uint8Array>,
  handlers: SseHandlers = {},
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      handlers.onActivity?.();
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
        // Comments (`:`) and other fields (event, id, retry) carry nothing this protocol uses.
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

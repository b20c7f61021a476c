/**
 * The one set of fixed signing vectors every side tests against: protocol, relay and browser.
 * The `PYNACL` signatures were computed independently with PyNaCl (the Python SDK's library)
 * from the seeds below, so they pin the byte-exact texts, hashes and encodings, not merely the
 * agreement of our code with itself.
 */

/** Seed and box key of the protocol unit tests' identity ("vector"). */
export const VECTOR_SEED = new Uint8Array(32).map((_, i) => i + 1);
export const VECTOR_BOX_SK = new Uint8Array(32).map((_, i) => 100 + i);

/** Ed25519 seed 0..31 and X25519 secret key of 32 × 9: the PyNaCl-computed set. */
export const PYNACL_SEED = Uint8Array.from({ length: 32 }, (_, i) => i);
export const PYNACL_BOX_SK = new Uint8Array(32).fill(9);
export const PYNACL_SIGN_PUB = 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=';
export const PYNACL_BOX_PUB = 'V9tLNZ8jrl4Ubk4lEgVnBHIlBjSMFQwUdT0Mkz0E1CE=';

/** Inputs and outputs of each signed text, for the identity above under the handle `alice`. */
export const PYNACL_VECTORS = {
  register: {
    handle: 'alice',
    ts: 1700000000000,
    expectText: `register alice 1700000000000 ${PYNACL_BOX_PUB} ${PYNACL_SIGN_PUB}`,
    sig: 'VjsuLQR4FB4RHZJPc+HyIq3exJJEsFT7n3QWXu+qQP8MkQ3X63nQ5WYwRY9KqJdWEiikSlLBWrWjVNo4wptiBw==',
  },
  roomPost: {
    roomId: 'AB12cd',
    ts: 1700000000123,
    nonce: 'bm9uY2Vub25jZW5vbmNl',
    ciphertext: 'c2VhbGVkIGJ5dGVz',
    expectText:
      'room-msg AB12cd 1700000000123 bm9uY2Vub25jZW5vbmNl c368ca003ef13d5e618a9f63f774d97a4644308307cd75c8e654adab1f865cb1',
    sig: 'V5bO8q7wvHKZASujio4poP5F2tkLc00/Mgl0VSRIXlytnQ8UarNGlizLDepsPoIlu8mLPtW0grimZHmyrR+PAw==',
  },
  dm: {
    to: 'bob',
    from: 'alice',
    ts: 1700000000456,
    ciphertext: 'Y2lwaGVy',
    nonce: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    senderEphPub: PYNACL_BOX_PUB,
    expectText: 'dm bob alice 1700000000456 ac9c66f96fe39ea52a5a114dd4c0cf7c175d51e1b245ba488b82fa7951c5c4b4',
    sig: 'GzcLzWSRfBc4qibvnY/k14Hx3pi4RzGEzpIxqvtfAIoSmyMGNSWQ2xA+SswqPq+siVzNTUqL+ZZfBqTDGXTzCg==',
  },
  request: {
    method: 'GET',
    path: '/api/dm/alice/inbox/wait?after=0&timeout=30',
    ts: 1700000000789,
    nonce: 'abcdefghijklmnopqrstuvwx',
    expectText: 'GET /api/dm/alice/inbox/wait?after=0&timeout=30 1700000000789 abcdefghijklmnopqrstuvwx',
    sig: 'Z1Q11hXowAVouA9MNnxu4Bl33QPcoMP5ic1fxM0kOm/XedTi5qxyAqjU+4QP3HRGw1IPO0C9UWnyLqCt1GdGBA==',
  },
  profile: {
    handle: 'alice',
    updatedAt: 1700000000000,
    profile: { schema: 'bot2bot.agent_profile.v1', handle: 'alice', topics: ['b', 'a'], summary: 'héllo' },
    expectText:
      'bot2bot-agent-profile-v1\nalice\n1700000000000\ne82568d0c404d57274baab0a654268583d4e9f7c6d00b17ebe06104d27f69efd',
    sig: 'bTGdfOhYPPaRq6w0CwizZr5E/O8xW8Badgc0ccJ+LTsSfiinUeWbe3kuzV9U80nnk+WGhNw2K5EF0gSe+j4sDg==',
  },
} as const;

/**
 * The Bot2Bot wire protocol: one isomorphic module (no DOM, no Node built-ins) imported by the
 * relay, the web app and the agent SDK alike.
 */
export * from './limits.js';
export * from './errors.js';
export * from './base64.js';
export * from './ids.js';
export * from './hash.js';
export * from './signing.js';
export * from './crypto.js';
export * from './identity.js';
export * from './envelopes.js';
export * from './roomUrl.js';
export * from './ttl.js';
export * from './schemas/common.js';
export * from './schemas/room.js';
export * from './schemas/frames.js';
export * from './closeCodes.js';
export * from './agentProfile.js';
export * from './schemas/identity.js';
export * from './schemas/dm.js';
export * from './schemas/agents.js';
export * from './schemas/report.js';
export * from './mentions.js';
export * from './adopt.js';
export * from './attachments.js';
export * from './schemas/blobs.js';
export * from './schemas/push.js';

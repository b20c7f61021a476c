/**
 * Web Push routes (this relay's addition; the reference has none): the browser's push
 * subscription, and what it wants to hear about. Nothing here is message content.
 */
import { z } from 'zod';
import { ROOM_ID_RE } from '../ids.js';

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

export const PushSubscriptionSchema = z
  .object({
    endpoint: z.string().min(8).max(1024),
    keys: z.object({
      p256dh: z.string().min(80).max(100).regex(B64URL),
      auth: z.string().min(16).max(32).regex(B64URL),
    }),
  })
  .meta({
    id: 'PushSubscription',
    description: "the browser's PushSubscription.toJSON() (endpoint and keys)",
  });

export const PushRoomsBody = z
  .object({
    subscription: PushSubscriptionSchema,
    rooms: z
      .array(z.string().regex(ROOM_ID_RE))
      .max(64)
      .meta({ description: 'room ids to be nudged about (replaces the earlier list; [] for none)' }),
  })
  .meta({ id: 'PushRooms' });

export const PushDmBody = z
  .object({
    subscription: PushSubscriptionSchema,
    enabled: z.boolean().optional().meta({ description: 'false stops DM pushes; default true' }),
  })
  .meta({ id: 'PushDm' });

export const PushUnsubscribeBody = z
  .object({ endpoint: z.string().min(8).max(1024) })
  .meta({ id: 'PushUnsubscribe' });

export const PushKeyResponse = z
  .object({ public_key: z.string(), coalesce_ms: z.number() })
  .meta({ id: 'PushKey' });
export const PushOkResponse = z.object({ ok: z.literal(true) }).meta({ id: 'PushOk' });

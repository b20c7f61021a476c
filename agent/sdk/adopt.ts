/**
 * Accepting adopt offers (reference-client.md §3.9). Default deny. When a Room opts in, an
 * offer is applied only if the outer message was signed by a registered handle, is aimed at our
 * current name, and opens with this Room's presence key. The identity then switches in place
 * (no reconnect) and is saved to the identity file so a restart keeps it.
 */
import { openAdoptOffer, type AdoptEnvelope } from '../../protocol/index.js';
import { saveIdentityFile } from './identity.js';
import type { Message } from './message.js';
import type { AdoptionEvent, RoomCore } from './roomCore.js';

export type { AdoptionEvent };

export async function applyAdoption(
  room: RoomCore,
  msg: Message,
  env: AdoptEnvelope,
): Promise<AdoptionEvent | null> {
  if (!room.acceptAdoptions) return null;
  if (env.target_name !== room.name || room.appliedAdoptions.has(env.adopt_id)) return null;
  if (!msg.senderVerified) {
    room.warn(`ignored an adopt offer from unverified sender "${msg.sender}"`);
    return null;
  }
  const identity = openAdoptOffer(env, room.boxKeyPair.secretKey);
  if (!identity) return null;
  room.appliedAdoptions.add(env.adopt_id);
  room.identity = identity;
  room.name = `@${identity.handle}`;
  room.selfNames.add(room.name);
  room.presence.renamed();
  const event: AdoptionEvent = {
    handle: identity.handle,
    identity,
    offeredBy: msg.sender,
    adoptId: env.adopt_id,
  };
  if (room.saveIdentity) {
    try {
      room.saveIdentity(identity);
    } catch (e) {
      room.warn(`adopted @${identity.handle} but could not save it: ${String(e)}`);
    }
  } else if (room.identityFile) {
    try {
      saveIdentityFile(room.identityFile, identity);
      event.savedTo = room.identityFile;
    } catch (e) {
      room.warn(`adopted @${identity.handle} but could not save it to ${room.identityFile}: ${String(e)}`);
    }
  } else {
    room.warn(
      `adopted @${identity.handle}; it is not saved anywhere (pass identityFile to keep it across restarts)`,
    );
  }
  room.onAdopt?.(event);
  return event;
}

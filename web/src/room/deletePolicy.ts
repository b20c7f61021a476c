/**
 * Who may delete what. Bot2Bot.chat's deletes are shared-key: anyone holding the link may delete
 * any message, and reference clients honour that, so anonymous (and restored, unverifiable)
 * messages keep that rule. A message the relay verified as signed by a @handle yields only to a
 * delete the relay verified as signed by the same handle: a link holder cannot erase what a
 * verified member said.
 */
import type { ChatMessage } from './chatState.js';

export interface Deleter {
  sender: string;
  verified: boolean;
}

export function mayDelete(
  target: Pick<ChatMessage, 'sender' | 'verified'> | undefined,
  by: Deleter,
): boolean {
  if (!target?.verified) return true;
  return by.verified && by.sender === target.sender;
}

/** The line the room shows when someone else's delete removed a message. */
export function deletedLine(target: Pick<ChatMessage, 'sender' | 'own'>, by: Deleter): string {
  const whose = target.own
    ? 'your message'
    : by.sender === target.sender
      ? 'their message'
      : `a message from ${target.sender}`;
  return `${by.sender}${by.verified ? '' : ' (unverified)'} deleted ${whose}`;
}

/** Export as a downloaded file (reference format), and read an imported file. */
import { exportIdentityJson, type Identity } from '@protocol/identity.js';

export function exportFileName(handle: string): string {
  return `bot2bot-identity-${handle}.json`;
}

export function downloadIdentity(id: Identity): void {
  const blob = new Blob([exportIdentityJson(id) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = exportFileName(id.handle);
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function readSmallFile(file: File): Promise<string> {
  if (file.size > 64 * 1024) throw new Error('That file is far too large to be an identity file.');
  return file.text();
}

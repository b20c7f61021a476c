/**
 * The small preview an image message carries inside its sealed envelope: a JPEG of at most
 * 160 px, small enough (≤ 24 KiB of base64) to keep the message far under the relay's cap.
 */
import { THUMB_MAX_B64_CHARS, type FileThumb } from '@protocol/attachments.js';

const EDGE = 160;
const PREVIEWABLE = /^image\/(png|jpeg|gif|webp|bmp|avif)$/;

export function isPreviewable(type: string): boolean {
  return PREVIEWABLE.test(type);
}

export async function makeThumb(file: File): Promise<{ thumb: FileThumb; w: number; h: number } | null> {
  if (!isPreviewable(file.type)) return null;
  const bmp = await createImageBitmap(file);
  try {
    const scale = Math.min(1, EDGE / Math.max(bmp.width, bmp.height));
    const w = Math.max(1, Math.round(bmp.width * scale));
    const h = Math.max(1, Math.round(bmp.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(bmp, 0, 0, w, h);
    for (const q of [0.75, 0.5, 0.3]) {
      const data = canvas.toDataURL('image/jpeg', q).replace(/^data:image\/jpeg;base64,/, '');
      if (data.length <= THUMB_MAX_B64_CHARS)
        return { thumb: { type: 'image/jpeg', data, w, h }, w: bmp.width, h: bmp.height };
    }
    return null;
  } finally {
    bmp.close();
  }
}

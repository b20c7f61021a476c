/** A message as one line of plain text (notifications, announcements): what a reader sees, no markup. */
import { cutPrefix, renderMarkdown, type MdNode } from './markdown.js';

function flatten(nodes: MdNode[], out: string[]): void {
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
      case 'code':
        out.push(n.v);
        break;
      case 'mention':
        out.push(`@${n.v}`);
        break;
      case 'pre':
        out.push(` ${n.v} `);
        break;
      case 'br':
      case 'hr':
        out.push(' ');
        break;
      case 'check':
        out.push(n.on ? '☑ ' : '☐ ');
        break;
      case 'el':
      case 'h':
      case 'ol':
      case 'cell':
      case 'link':
        flatten(n.c, out);
        // Blocks and cells end a word, inline elements do not.
        if (n.t !== 'link' && !(n.t === 'el' && (n.tag === 'strong' || n.tag === 'em' || n.tag === 's')))
          out.push(' ');
        break;
      default: {
        const never: never = n;
        void never;
      }
    }
  }
}

export function plainText(text: string, max = 200): string {
  // Only a little more than what is shown is parsed: this runs for every live message, and hostile
  // markdown costs more than linear time in its length.
  const r = renderMarkdown(cutPrefix(text, max + Math.min(max, 120)));
  let flat: string;
  if (r.kind === 'md') {
    const out: string[] = [];
    flatten(r.nodes, out);
    flat = out.join('');
  } else flat = r.text;
  flat = flat.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max).trimEnd()}…` : flat;
}

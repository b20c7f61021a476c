import { useMemo } from 'react';
import { encode } from 'uqr';

/** A QR code as an SVG of dark modules on white (scanners need the contrast in dark mode too). */
export function QrCode(props: { text: string; label: string }) {
  const qr = useMemo(() => encode(props.text, { ecc: 'M', border: 3 }), [props.text]);
  const d = useMemo(() => {
    const parts: string[] = [];
    qr.data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) parts.push(`M${x} ${y}h1v1h-1z`);
      }),
    );
    return parts.join('');
  }, [qr]);
  return (
    <svg
      className="qr"
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      role="img"
      aria-label={props.label}
      shapeRendering="crispEdges"
    >
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

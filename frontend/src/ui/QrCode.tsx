/**
 * A QR code drawn as SVG in the page (no image service, no innerHTML): the modules come from
 * uqr's encoder, the quiet zone is the four modules ISO/IEC 18004 asks for, and the dark modules
 * are one path of unit squares.
 */
import { encode } from 'uqr';

/** Modules of white around the symbol, as scanners expect. */
const QUIET_ZONE = 4;

/** The QR symbol of `text` as an SVG path of its dark modules, in a square of `size` units. */
export function qrModules(text: string): { size: number; path: string } {
  const { data } = encode(text, { ecc: 'M', border: QUIET_ZONE });
  const squares: string[] = [];
  data.forEach((row, y) => {
    row.forEach((isDark, x) => {
      if (isDark) squares.push(`M${x} ${y}h1v1h-1z`);
    });
  });
  return { size: data.length, path: squares.join('') };
}

export function QrCode({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const { size, path } = qrModules(text);
  return (
    <svg className="qr-code" role="img" aria-label={label} data-testid={testId} viewBox={`0 0 ${size} ${size}`} width={size * 5} height={size * 5} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

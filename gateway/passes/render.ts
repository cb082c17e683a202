import { writeFileSync } from 'node:fs';
import QRCode from 'qrcode';

/**
 * A pass as a QR code, through the `qrcode` package. Error correction M (15 %): a pass on a
 * creased printout or a scratched phone screen still reads, at one QR version more than L.
 * The text is all alphanumeric-mode characters, so qrcode packs it at 5.5 bits a character.
 */
const ERROR_CORRECTION = 'M';

/** For a terminal: ANSI half blocks on a TTY, plain Unicode blocks otherwise (logs, pipes). */
export function qrForTerminal(text: string, tty: boolean): Promise<string> {
  return tty
    ? QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: ERROR_CORRECTION })
    : QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: ERROR_CORRECTION });
}

/**
 * Writes a PNG, owner-only: a pass image lets whoever holds it pass, so it is handled like the
 * card it replaces. 8 pixels a module, the standard 4-module quiet zone.
 */
export async function writeQrPng(path: string, text: string): Promise<void> {
  const png = await QRCode.toBuffer(text, {
    type: 'png',
    errorCorrectionLevel: ERROR_CORRECTION,
    scale: 8,
    margin: 4,
  });
  writeFileSync(path, png, { mode: 0o600 });
}

/** The QR version (1–40) the text needs at this level: its size is 17 + 4 × version modules. */
export function qrVersion(text: string): number {
  return QRCode.create(text, { errorCorrectionLevel: ERROR_CORRECTION }).version;
}

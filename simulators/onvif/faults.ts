import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type RandomSource, randomBytesFrom } from '../shared/random.js';
import { envelope, type SoapReply } from './soap.js';
import { TOPICS } from './topics.js';
import { CONCRETE_SET } from './xml.js';

/**
 * Hostile PullMessages replies, each served once in place of the next PullMessages (the
 * gateway's parser must survive them without running out of memory or stack):
 * - `huge`: a well-formed response streamed (chunked) to just over HUGE_BYTES; the writer
 *   honours back-pressure and stops when the client goes away.
 * - `deep`: a well-formed response whose notification nests DEEP_LEVELS elements.
 * - `entities`: a DOCTYPE defining a billion-laughs entity set, referenced from a SimpleItem.
 * - `garbage`: bytes that are no XML at all, labelled as SOAP.
 * The other faults (reboot, clock skew, slow replies, calibration drift) are settings of the
 * camera itself (onvif-camera.ts).
 */
export const HOSTILE_KINDS = ['huge', 'deep', 'entities', 'garbage'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export const HUGE_BYTES = 50 * 1024 * 1024;
export const DEEP_LEVELS = 100_000;
const CHUNK_BYTES = 64 * 1024;

export function isHostileKind(word: string): word is HostileKind {
  return (HOSTILE_KINDS as readonly string[]).includes(word);
}

/** The reply for `kind`; `utcTime` is the camera clock now. */
export function hostileReply(kind: HostileKind, utcTime: string, random: RandomSource): SoapReply {
  switch (kind) {
    case 'huge':
      return { status: 200, stream: (out, signal) => streamHuge(out, signal, utcTime) };
    case 'deep': {
      const nest = `${'<ttr:Nest>'.repeat(DEEP_LEVELS)}${'</ttr:Nest>'.repeat(DEEP_LEVELS)}`;
      return {
        status: 200,
        body: envelope(response(utcTime, `<tt:ElementItem Name="Reading">${nest}</tt:ElementItem>`)),
      };
    }
    case 'entities': {
      const levels = ['<!ENTITY lol0 "lol">'];
      for (let i = 1; i <= 9; i++) levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
      const doctype = `<!DOCTYPE env:Envelope [\n${levels.join('\n')}\n]>`;
      const xml = envelope(response(utcTime, '<tt:SimpleItem Name="State" Value="&lol9;"/>'));
      return { status: 200, body: xml.replace('\n', `\n${doctype}\n`) };
    }
    case 'garbage': {
      const bytes = randomBytesFrom(random, 4096);
      bytes[0] = 0xff; // never '<': not even the start of a document
      return { status: 200, body: bytes };
    }
  }
}

/** A PullMessagesResponse with one body-temperature notification whose Data holds `dataXml`. */
function response(utcTime: string, dataXml: string): string {
  return (
    `<tev:PullMessagesResponse><tev:CurrentTime>${utcTime}</tev:CurrentTime>` +
    `<tev:TerminationTime>${utcTime}</tev:TerminationTime>` +
    `<wsnt:NotificationMessage><wsnt:Topic Dialect="${CONCRETE_SET}">${TOPICS.body}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${utcTime}"><tt:Source/><tt:Data>${dataXml}</tt:Data>` +
    '</tt:Message></wsnt:Message></wsnt:NotificationMessage></tev:PullMessagesResponse>'
  );
}

async function streamHuge(out: Writable, signal: AbortSignal, utcTime: string): Promise<void> {
  const [head, tail] = envelope(response(utcTime, '\u0000')).split('\u0000') as [string, string];
  const item = '<tt:SimpleItem Name="Padding" Value="0000000000000000000000000000000000000000"/>';
  const chunk = Buffer.from(item.repeat(Math.ceil(CHUNK_BYTES / item.length)), 'utf8');
  let sent = 0;
  const write = async (bytes: Buffer) => {
    if (signal.aborted) throw new Error('client went away');
    sent += bytes.length;
    if (!out.write(bytes)) await once(out, 'drain', { signal });
  };
  await write(Buffer.from(head, 'utf8'));
  while (sent <= HUGE_BYTES) await write(chunk);
  await write(Buffer.from(tail, 'utf8'));
}

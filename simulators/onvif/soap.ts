import type { Writable } from 'node:stream';
import { childNames, escapeXml, NS_DECLARATIONS, parseXml, path } from './xml.js';

/**
 * SOAP 1.2 as the simulated camera speaks it: one request in (an Envelope whose Body holds one
 * operation element), one envelope or fault out. Faults carry ONVIF's Code/Subcode pairs; their
 * HTTP status follows the SOAP 1.2 HTTP binding (Sender → 400, Receiver → 500), which is also
 * how agsh/onvif tells a refused WS-Security token (400, ter:NotAuthorized) from a Digest
 * challenge (401).
 */

export type FaultCode = 'Sender' | 'Receiver';

export class SoapFault extends Error {
  constructor(
    readonly code: FaultCode,
    /** A QName whose prefix the envelope declares (`ter:NotAuthorized`, `wsrf-rw:ResourceUnknownFault`). */
    readonly subcode: string | undefined,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'SoapFault';
  }

  get httpStatus(): number {
    return this.code === 'Sender' ? 400 : 500;
  }
}

/** The faults the simulator sends, with the reasons cameras put in them. */
export const faults = {
  notAuthorized: () => new SoapFault('Sender', 'ter:NotAuthorized', 'Sender not Authorized'),
  wellFormed: (why: string) => new SoapFault('Sender', 'ter:WellFormed', `Malformed request: ${why}`),
  actionNotSupported: (action: string) =>
    new SoapFault('Receiver', 'ter:ActionNotSupported', `Optional Action Not Implemented: ${action}`),
  noSuchService: (category: string) =>
    new SoapFault('Receiver', 'ter:NoSuchService', `No such service: ${category}`),
  invalidArgVal: (what: string) => new SoapFault('Sender', 'ter:InvalidArgVal', `Invalid argument: ${what}`),
  resourceUnknown: () =>
    new SoapFault(
      'Sender',
      'wsrf-rw:ResourceUnknownFault',
      'ResourceUnknownFault: the subscription does not exist or has expired',
    ),
  internal: () => new SoapFault('Receiver', undefined, 'Internal error'),
};

/** A parsed request, as the services see it. */
export interface SoapCall {
  /** URL path the request was posted to, e.g. `/onvif/device_service`. */
  path: string;
  /** Local name of the Body's operation element, e.g. `GetDeviceInformation`. */
  action: string;
  /** The operation element (prefixes stripped; see xml.ts). */
  payload: unknown;
  header: unknown;
  /** `http://host:port` as the client reached the camera, for the XAddrs the reply names. */
  baseUrl: string;
  /** Aborted when the client goes away before the reply is written. */
  signal: AbortSignal;
}

/** A reply: a whole body, or a writer that streams one (for the hostile replies). */
export type SoapReply =
  | { status: number; body: string | Buffer; contentType?: string }
  | { status: number; stream: (out: Writable, signal: AbortSignal) => Promise<void>; contentType?: string };

export const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

/** A SOAP 1.2 envelope declaring every namespace the simulator writes (xml.ts `NS`). */
export function envelope(bodyXml: string, headerXml = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${NS_DECLARATIONS}>` +
    `<env:Header>${headerXml}</env:Header><env:Body>${bodyXml}</env:Body></env:Envelope>`
  );
}

export function okReply(bodyXml: string): SoapReply {
  return { status: 200, body: envelope(bodyXml) };
}

export function faultReply(fault: SoapFault): SoapReply {
  const subcode =
    fault.subcode === undefined ? '' : `<env:Subcode><env:Value>${fault.subcode}</env:Value></env:Subcode>`;
  const body =
    `<env:Fault><env:Code><env:Value>env:${fault.code}</env:Value>${subcode}</env:Code>` +
    `<env:Reason><env:Text xml:lang="en">${escapeXml(fault.reason)}</env:Text></env:Reason></env:Fault>`;
  return { status: fault.httpStatus, body: envelope(body) };
}

/** Header and operation of a request document; a SoapFault (ter:WellFormed) when it has none. */
export async function parseEnvelope(
  text: string,
): Promise<{ header: unknown; action: string; payload: unknown }> {
  let document: unknown;
  try {
    document = await parseXml(text);
  } catch (err) {
    throw faults.wellFormed((err as Error).message.split('\n')[0] ?? 'not XML');
  }
  const body = path(document, 'Envelope', 'Body');
  if (body === undefined) throw faults.wellFormed('no SOAP Envelope/Body');
  const [action] = childNames(body);
  if (action === undefined) throw faults.wellFormed('empty Body');
  return { header: path(document, 'Envelope', 'Header'), action, payload: path(body, action) };
}

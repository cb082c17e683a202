import { CameraCallError } from './camera-link.js';
import { parseSoap, SoapFaultError } from './soap-xml.js';
import { OnvifXmlError } from './xml-guard.js';

/**
 * What a failed camera call means for the session:
 * - `network`: the camera is unreachable or went away (refused, reset, timed out): reconnect;
 * - `not-authorised`: the camera refused our user, password or token time: an alarm, slow retries;
 * - `subscription-lost`: the pull point is gone (the camera restarted, or it expired): create one;
 * - `bad-reply`: the camera sent something we refuse to parse (too large, too deep, a DTD, not SOAP);
 * - `fault`: any other SOAP fault.
 */
export type FailureKind = 'network' | 'not-authorised' | 'subscription-lost' | 'bad-reply' | 'fault';

export interface Failure {
  kind: FailureKind;
  detail: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

export function classifyFailure(error: unknown): Failure {
  if (!(error instanceof CameraCallError)) {
    return { kind: 'fault', detail: error instanceof Error ? error.message : String(error) };
  }
  const { failure, xml, call } = error;
  if (failure instanceof OnvifXmlError) return { kind: 'bad-reply', detail: `${call}: ${failure.message}` };
  const code = error.code;
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    /network timeout|socket hang up/i.test(failure.message)
  )
    return { kind: 'network', detail: `${call}: ${code ?? failure.message}` };
  const fault = faultIn(xml);
  const text = `${fault?.subcode ?? ''} ${fault?.reason ?? ''} ${failure.message}`;
  if (/not ?authori[sz]ed|unauthori[sz]ed|\b401\b/i.test(text))
    return { kind: 'not-authorised', detail: `${call}: the camera refused the user or password` };
  if (/ResourceUnknown|InvalidSubscription|UnknownSubscription|subscription first/i.test(text))
    return { kind: 'subscription-lost', detail: `${call}: ${fault?.reason ?? failure.message}` };
  if (/Wrong ONVIF SOAP response/i.test(failure.message))
    return { kind: 'bad-reply', detail: `${call}: not a SOAP envelope` };
  return { kind: 'fault', detail: `${call}: ${fault?.reason ?? failure.message}` };
}

function faultIn(xml: string | undefined): { subcode?: string; reason?: string } | undefined {
  if (xml === undefined || xml === '') return undefined;
  try {
    parseSoap(xml);
    return undefined;
  } catch (err) {
    if (!(err instanceof SoapFaultError)) return undefined;
    const fault: { subcode?: string; reason?: string } = {};
    if (err.subcode !== undefined) fault.subcode = err.subcode;
    if (err.reason !== undefined) fault.reason = err.reason;
    return fault;
  }
}

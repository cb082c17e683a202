import type { FuzzTarget } from './target.js';
import { adminApiBodies } from './targets/admin-api.js';
import { samMessages, samParser } from './targets/idcard.js';
import { modbusCodec, modbusReplyCollector, modbusRequestScanner } from './targets/modbus.js';
import { mqttDeviceCodecs, mqttPacketSize } from './targets/mqtt.js';
import { onvifHttpResponse, onvifProbeMatches, onvifPullMessages, onvifXmlGuard } from './targets/onvif.js';
import { osdpPacketCodec, osdpParser } from './targets/osdp-framing.js';
import { osdpMessages, osdpSecureChannel } from './targets/osdp-messages.js';
import { passTrustFiles, qrPass, qrPassText } from './targets/passes.js';
import { registryCsv, registryDocument } from './targets/registry.js';
import { scannerHidKeyboard, scannerHidPos, scannerSerialLines } from './targets/scanner.js';
import { thermometerLine } from './targets/thermometer.js';
import { upstreamJournalMessage, upstreamPeerDecision, upstreamRequest } from './targets/upstream.js';

/**
 * Every fuzz target: each parser and decoder of something that arrives from outside the
 * gateway (a serial line, a USB device, a camera, an MQTT client or broker, an operator's
 * browser, a file an office hands over). `npm test` runs each a few hundred times
 * (test/property/fuzz-targets.test.ts); `npm run fuzz` a million times (fuzz/run.ts).
 * docs/fuzzing.md lists them with their contracts; `npm run fuzz -- --list` prints the same.
 */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  // Serial lines: OSDP readers and locks, the ID-card SAM, Modbus relay boards.
  osdpParser,
  osdpPacketCodec,
  osdpMessages,
  osdpSecureChannel,
  samParser,
  samMessages,
  modbusRequestScanner,
  modbusReplyCollector,
  modbusCodec,
  // QR scanners (serial and USB HID) and thermometers.
  scannerSerialLines,
  scannerHidKeyboard,
  scannerHidPos,
  thermometerLine,
  // Cameras.
  onvifXmlGuard,
  onvifPullMessages,
  onvifHttpResponse,
  onvifProbeMatches,
  // MQTT devices and the embedded broker; the upstream broker.
  mqttDeviceCodecs,
  mqttPacketSize,
  upstreamRequest,
  upstreamPeerDecision,
  upstreamJournalMessage,
  // Operators and the office: admin API bodies, QR passes and trust files, registry imports.
  adminApiBodies,
  qrPass,
  qrPassText,
  passTrustFiles,
  registryCsv,
  registryDocument,
];

export function targetNamed(name: string): FuzzTarget {
  const target = FUZZ_TARGETS.find((t) => t.name === name);
  if (target === undefined) {
    const names = FUZZ_TARGETS.map((t) => t.name).join(', ');
    throw new Error(`no fuzz target "${name}"; the targets are: ${names}`);
  }
  return target;
}

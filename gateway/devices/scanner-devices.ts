import type { ScannerConfigEntry } from '../../config/devices-schema.js';
import { NodeHidSource } from '../../drivers/scanner/hid-device-source.js';
import { HidScanner } from '../../drivers/scanner/hid-scanner.js';
import type { Scanner } from '../../drivers/scanner/scanner.js';
import { ScannerAdapter } from '../../drivers/scanner/scanner-adapter.js';
import { SerialScanner } from '../../drivers/scanner/serial-scanner.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { childLogger, type Logger } from '../logging.js';
import type { DeviceContext, DeviceModule } from './device-module.js';

/**
 * One scanner and adapter per configured QR/barcode scanner. A serial scanner owns its port
 * alone (it is not a polled bus device); a HID scanner is found by vendor and product id. The
 * scanner only reads: the lane's door or barrier acts on its decisions. Every scanner checks
 * signed passes (gateway/passes) through one shared credential layer.
 */
export function buildScanners(context: DeviceContext): DeviceModule[] {
  const { site, log, port } = context;
  if (site.config.scanners.length === 0) return [];
  const credentials = context.passCredentials();
  return site.config.scanners.map((s) => {
    const deviceLog = childLogger(log, `scanner:${s.id}`);
    const scanner = makeScanner(s, deviceLog);
    const adapter = new ScannerAdapter(
      { deviceId: s.id, laneId: s.lane, fingerprintKey: site.key, credentials },
      scanner,
      port,
      deviceLog,
    );
    return {
      devices: 1,
      states: () => [{ deviceId: s.id, online: scanner.isOnline }],
      start: () => {
        adapter.start();
        void scanner.start();
      },
      stop: async () => {
        adapter.stop();
        await scanner.stop();
      },
    };
  });
}

function makeScanner(s: ScannerConfigEntry, log: Logger): Scanner {
  if (s.serial) {
    const { path, baud, terminator, prefix } = s.serial;
    return new SerialScanner({
      transport: new SerialTransport({ path, baudRate: baud }),
      terminator,
      ...(prefix !== undefined ? { prefix } : {}),
      encoding: s.encoding,
      log,
    });
  }
  const hid = s.hid as NonNullable<ScannerConfigEntry['hid']>;
  return new HidScanner({
    source: new NodeHidSource(),
    match: {
      vendorId: hid.vendorId,
      productId: hid.productId,
      ...(hid.serialNumber !== undefined ? { serialNumber: hid.serialNumber } : {}),
    },
    mode: hid.mode,
    encoding: s.encoding,
    log,
  });
}

import { SerialThermometer } from '../../drivers/thermometer/serial-thermometer.js';
import { ThermometerAdapter } from '../../drivers/thermometer/thermometer-adapter.js';
import { SerialTransport } from '../../drivers/transport/serial-transport.js';
import { childLogger } from '../logging.js';
import type { DeviceContext, DeviceModule } from './device-module.js';

/**
 * One driver and adapter per configured handheld thermometer. A thermometer owns its port alone
 * (it is not a polled bus device) and only reads: its readings go to its lane as `handheld`
 * readings, the re-measure of a high camera reading.
 */
export function buildThermometers(context: DeviceContext): DeviceModule[] {
  const { site, log, port } = context;
  return site.config.thermometers.map((t) => {
    const deviceLog = childLogger(log, `thermometer:${t.id}`);
    const thermometer = new SerialThermometer({
      transport: new SerialTransport({ path: t.serial.path, baudRate: t.serial.baud }),
      // The schema checked that the format compiles with one capture group.
      lines: { unit: t.unit, ...(t.format === undefined ? {} : { format: new RegExp(t.format, 'u') }) },
      log: deviceLog,
    });
    const adapter = new ThermometerAdapter({ deviceId: t.id, laneId: t.lane }, thermometer, port, deviceLog);
    return {
      devices: 1,
      states: () => [{ deviceId: t.id, online: thermometer.isOnline, counters: { ...thermometer.counters } }],
      start: () => {
        adapter.start();
        void thermometer.start();
      },
      stop: async () => {
        adapter.stop();
        await thermometer.stop();
      },
    };
  });
}

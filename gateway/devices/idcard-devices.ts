import { IdCardAdapter } from '../../drivers/idcard/idcard-adapter.js';
import { IdCardReaderSession } from '../../drivers/idcard/reader-session.js';
import { childLogger } from '../logging.js';
import type { DeviceContext, DeviceModule } from './device-module.js';

/**
 * One SAM session and adapter per ID-card reader. The reader only reads: its decisions reach
 * the lane's door or barrier through the lane port's actuators.
 */
export function buildIdCards(context: DeviceContext): DeviceModule[] {
  const { site, log, port } = context;
  return site.config.idcard.devices.map((d) => {
    const deviceLog = childLogger(log, `idcard:${d.id}`);
    const session = new IdCardReaderSession({ line: context.line(d.line), log: deviceLog });
    const adapter = new IdCardAdapter({ deviceId: d.id, laneId: d.lane }, session, port, site.key, deviceLog);
    return {
      devices: 1,
      states: () => {
        const status = session.status();
        return [{ deviceId: d.id, online: status.state === 'online', counters: { ...status.counters } }];
      },
      start: () => {
        adapter.start();
        session.start();
      },
      stop: async () => {
        adapter.stop();
        await session.stop();
      },
    };
  });
}

#!/usr/bin/env node
import { Command } from 'commander';
import { registerBarrier } from './barrier-command.js';
import { registerIdcard } from './idcard-command.js';
import { registerMqttSims } from './mqtt-command.js';
import { registerOnvif } from './onvif-command.js';
import { registerOsdp } from './osdp-command.js';
import { registerQr } from './qr-command.js';
import { registerScenario } from './scenario-command.js';
import { registerSite } from './site-command.js';
import { registerThermometer } from './thermometer-command.js';

/**
 * `gatewarden-sim`: the device side of gatewarden's protocols, for a technician or a test.
 * One subcommand per simulated device family, each in its own file with a `register*`
 * function (osdp-command.ts, idcard-command.ts); barrier and QR simulators join the same way.
 *
 * Exit codes: 0 after `quit`, end of input or SIGINT/SIGTERM; 2 when the simulator cannot
 * start (bad option, port that does not open).
 */
const program = new Command('gatewarden-sim')
  .description(
    'Device simulators speaking the device side of gatewarden protocols over a serial port or pty.\n' +
      '设备模拟器：通过串口或伪终端模拟门禁设备一侧的协议，供技术人员调试和自动化测试使用。',
  )
  .showHelpAfterError('(add --help for usage / 加 --help 查看用法)')
  .configureOutput({ outputError: (text, write) => write(`gatewarden-sim: ${text.replace(/^error: /, '')}`) })
  .exitOverride();

registerOsdp(program);
registerIdcard(program);
registerBarrier(program);
registerQr(program);
registerMqttSims(program);
registerOnvif(program);
registerThermometer(program);
registerSite(program);
registerScenario(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') {
    process.exit(0);
  }
  if (typeof code === 'string' && code.startsWith('commander.')) process.exit(2);
  process.stderr.write(`gatewarden-sim: ${(err as Error).message}\n`);
  process.exit(2);
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewardenError } from '../../gateway/errors.js';
import { childLogger, createLogger, type LogLevel } from '../../gateway/logging.js';

/** A logger writing into memory; `lines()` parses what it wrote. */
function memoryLogger(level: LogLevel = 'info', site?: string) {
  let text = '';
  const logger = createLogger({
    level,
    ...(site === undefined ? {} : { site }),
    destination: {
      write: (s) => {
        text += s;
      },
    },
  });
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('censors ID numbers, names and passwords, at the top level and one level down', () => {
    const { logger, text, lines } = memoryLogger();
    logger.info(
      {
        idNumber: '11010519491231002X',
        password: 'hunter2',
        person: { idNumber: '440301199001011234', name: '张三' },
      },
      'registered',
    );
    logger.info({ device: { token: 'tok-123', secret: 's3cr3t', phone: '13800138000' } }, 'device');
    for (const value of [
      '11010519491231002X',
      '440301199001011234',
      'hunter2',
      '张三',
      'tok-123',
      's3cr3t',
      '13800138000',
    ]) {
      expect(text()).not.toContain(value);
    }
    expect(lines()[0]).toMatchObject({
      idNumber: '[redacted]',
      password: '[redacted]',
      person: { idNumber: '[redacted]', name: '[redacted]' },
      msg: 'registered',
    });
  });

  it('binds the site and the root namespace, and writes errors under err', () => {
    const { logger, lines } = memoryLogger('info', 'demo-community');
    logger.error({ err: new GatewardenError('CONFIG_INVALID', 'bad config') }, 'failed');
    expect(lines()[0]).toMatchObject({
      level: 50,
      site: 'demo-community',
      ns: 'gw',
      err: { type: 'GatewardenError', message: 'bad config', code: 'CONFIG_INVALID' },
      msg: 'failed',
    });
  });

  it('drops lines below the level', () => {
    const { logger, text } = memoryLogger('warn');
    logger.info('hidden');
    logger.debug('hidden too');
    expect(text()).toBe('');
  });
});

describe('createLogger with a file', () => {
  it('creates the folder and appends lines synchronously', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatewarden-log-'));
    try {
      const file = join(dir, 'logs', 'gateway.log');
      createLogger({ level: 'info', file }).info({ phone: '13800138000' }, 'written');
      const line = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      expect(line).toMatchObject({ msg: 'written', phone: '[redacted]' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('childLogger', () => {
  it('nests namespaces without repeating the ns key', () => {
    const { logger, text, lines } = memoryLogger();
    const driver = childLogger(logger, 'driver');
    const device = childLogger(driver, 'osdp-1', { device: 'osdp-1' });
    const framing = childLogger(device, 'framing');
    driver.info('a');
    framing.info('b');
    childLogger(framing, 'gw:journal').info('c');
    device.child({ port: '/dev/ttyS1' }).info('d');
    expect(lines().map((l) => [l.ns, l.device, l.msg])).toEqual([
      ['gw:driver', undefined, 'a'],
      ['gw:driver:osdp-1:framing', 'osdp-1', 'b'],
      ['gw:journal', 'osdp-1', 'c'],
      ['gw:driver:osdp-1', 'osdp-1', 'd'],
    ]);
    for (const line of text().trim().split('\n')) expect(line.match(/"ns":/g)).toHaveLength(1);
  });
});

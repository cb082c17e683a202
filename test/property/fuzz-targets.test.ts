/**
 * The bounded fuzz run: every target of fuzz/targets.ts for a few hundred cases (its
 * `boundedCases`), so that `npm test` checks the whole catalogue; `npm run fuzz` runs the same
 * targets a million times each. Then the machinery: reproducers are written, read back and
 * replayed; inputs are serialised without loss; a run index regenerates its input; the watchdog.
 * Every reproducer saved in fuzz/reproducers is replayed and must pass: a fixed bug stays fixed.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fromJsonValue,
  REPRODUCER_DIR,
  readReproducer,
  reproducerFileName,
  toJsonValue,
  writeReproducer,
} from '../../fuzz/reproducer.js';
import { inputAt, replay, runTarget } from '../../fuzz/runner.js';
import { BOUNDED_CASES, defineTarget, onlyThrows, UnexpectedError } from '../../fuzz/target.js';
import { FUZZ_TARGETS, targetNamed } from '../../fuzz/targets.js';
import { hungCasePath, Watchdog } from '../../fuzz/watchdog.js';

const seed = Date.now() % 2 ** 31;

describe(`fuzz targets, bounded run (seed ${seed})`, () => {
  // The yaml package warns through process.emitWarning about collection keys in a registry file
  // (a case registry-document feeds it); kept off the test output, as fuzz/worker.ts does.
  const printers = process.listeners('warning');
  beforeAll(() => {
    process.removeAllListeners('warning');
    process.on('warning', () => undefined);
  });
  afterAll(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    process.removeAllListeners('warning');
    for (const p of printers) process.on('warning', p);
  });

  it.each(FUZZ_TARGETS.map((t) => [t.name, t] as const))('%s keeps its contract', (_name, target) => {
    const result = runTarget(target, { cases: target.boundedCases ?? BOUNDED_CASES, seed });
    const failure = result.failure;
    if (failure !== undefined) {
      const input = JSON.stringify(failure.input).slice(0, 2000);
      const again = `npm run fuzz -- --target ${target.name} --seed ${failure.seed} --cases ${result.cases}`;
      expect.fail(`${failure.error}\n\ninput: ${input}\n\nrun again: ${again} (path ${failure.path})`);
    }
    expect(result.cases).toBe(target.boundedCases ?? BOUNDED_CASES);
  });

  // Every failure the long run found and saved: once its bug is fixed it must stay fixed.
  const root = join(import.meta.dirname, '..', '..');
  const saved = existsSync(join(root, REPRODUCER_DIR))
    ? readdirSync(join(root, REPRODUCER_DIR)).filter((f) => f.endsWith('.json'))
    : [];
  it.each(saved)('saved reproducer %s passes', (file) => {
    const reproducer = readReproducer(join(root, REPRODUCER_DIR, file));
    const outcome = replay(targetNamed(reproducer.target), reproducer);
    expect(outcome.saved.error ?? 'passes').toBe('passes');
  });

  it('names each target once, in kebab case, with a contract', () => {
    const names = FUZZ_TARGETS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of FUZZ_TARGETS) {
      expect(t.name).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(t.contract.length).toBeGreaterThan(40);
    }
    expect(() => targetNamed('no-such-target')).toThrow(/the targets are: osdp-parser/);
  });
});

/** A deliberately broken parser: refuses numbers over 1000 with an error its contract does not allow. */
class ToyError extends Error {}
const toy = (limit: number) =>
  defineTarget({
    name: 'toy-limit',
    contract: 'a toy: any record whose n is at most the limit passes; the error type is ToyError.',
    arbitrary: fc.record({
      n: fc.integer({ min: 0, max: 10_000 }),
      raw: fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a)),
    }),
    check({ n }: { n: number; raw: Buffer }) {
      onlyThrows(() => {
        if (n > limit) throw new RangeError(`${n} is over ${limit}`);
        if (n === -1) throw new ToyError('never');
      }, ToyError);
    },
  });

describe('fuzz reproducers', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatewarden-fuzz-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a failure is shrunk, saved where asked, and replays; a fixed target passes the replay', () => {
    const result = runTarget(toy(1000), { cases: 2000, seed: 42 });
    expect(result.failure).toBeDefined();
    const failure = result.failure ?? expect.fail('no failure');
    expect(failure.error).toMatch(
      /^UnexpectedError: threw RangeError: 1001 is over 1000 \(the contract allows ToyError\)/,
    );
    expect(fromJsonValue(failure.input)).toEqual({ n: 1001, raw: Buffer.alloc(0) });

    const dir = tempDir();
    const file = writeReproducer(dir, { target: 'toy-limit', ...failure });
    expect(readdirSync(dir)).toEqual([reproducerFileName('toy-limit', 42, failure.path)]);
    const saved = readReproducer(file);
    expect(saved).toMatchObject({ target: 'toy-limit', seed: 42, path: failure.path, error: failure.error });

    const again = replay(toy(1000), saved);
    expect(again.saved).toMatchObject({ failed: true, error: expect.stringContaining('1001 is over 1000') });
    expect(again.regenerated).toMatchObject({ failed: true, sameInput: true });
    expect(replay(toy(5000), saved)).toEqual({
      saved: { failed: false },
      regenerated: { failed: false, sameInput: true },
    });
  });

  it('a passing run reports its cases and no failure', () => {
    const result = runTarget(toy(10_000), { cases: 500, seed: 7 });
    expect(result).toMatchObject({ target: 'toy-limit', cases: 500, interrupted: false });
    expect(result.failure).toBeUndefined();
  });

  it('regenerates the input of any run index from seed and path', () => {
    const seen: unknown[] = [];
    const details = fc.check(
      fc.property(toy(0).arbitrary, (v) => {
        seen.push(v);
      }),
      { seed: 9, numRuns: 20 },
    ) as fc.RunDetails<unknown>;
    expect(details.numRuns).toBe(20);
    for (const i of [0, 7, 19]) expect(inputAt(toy(0), 9, String(i))).toEqual(seen[i]);
  });

  it('names a long shrink path by run index, step count and hash', () => {
    expect(reproducerFileName('osdp-parser', 7, '41:0:3')).toBe('osdp-parser-7-41_0_3.json');
    const long = `12:${Array.from({ length: 40 }, () => '1').join(':')}`;
    expect(reproducerFileName('osdp-parser', 7, long)).toMatch(
      /^osdp-parser-7-12_40steps_[0-9a-f]{10}\.json$/,
    );
  });

  /** What fuzz inputs hold: JSON, Buffers, byte arrays, and the values JSON loses. */
  const inputValue = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(
        fc.string(),
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
      ),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 10n ** 30n),
      fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
      fc.uint8Array({ maxLength: 8 }),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(
        fc.oneof(fc.string(), fc.constantFrom('__proto__', '$fuzz:buffer', '$fuzz:object')),
        tie('node'),
        {
          maxKeys: 3,
          noNullPrototype: true,
        },
      ),
    ),
  })).node;

  test.prop([inputValue])('an input survives JSON through toJsonValue / fromJsonValue', (value) => {
    const back = fromJsonValue(JSON.parse(JSON.stringify(toJsonValue(value))));
    expect(back).toStrictEqual(value);
  });

  it('errors it does not allow are reported with what was allowed', () => {
    expect(() => onlyThrows(() => JSON.parse('{'), RangeError)).toThrow(UnexpectedError);
    expect(onlyThrows(() => JSON.parse('{'), SyntaxError)).toMatchObject({ ok: false });
  });
});

describe('fuzz watchdog', () => {
  it('calls a worker stuck once its counter has stood still for the hang time', () => {
    const dog = new Watchdog(10_000);
    expect(dog.stalled(5, 0)).toBe(false);
    expect(dog.stalled(5, 9_999)).toBe(false);
    expect(dog.stalled(6, 10_000)).toBe(false);
    expect(dog.stalled(6, 19_999)).toBe(false);
    expect(dog.stalled(6, 20_000)).toBe(true);
  });

  it('names the run index of a case that hung in check, and nothing otherwise', () => {
    expect(hungCasePath({ begun: 42, shrinking: false, inCheck: true })).toBe('41');
    expect(hungCasePath({ begun: 42, shrinking: true, inCheck: true })).toBeUndefined();
    expect(hungCasePath({ begun: 42, shrinking: false, inCheck: false })).toBeUndefined();
    expect(hungCasePath({ begun: 0, shrinking: false, inCheck: true })).toBeUndefined();
  });
});

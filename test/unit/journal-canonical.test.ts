import { describe, expect, it } from 'vitest';
import { GatewardenError } from '../../gateway/errors.js';
import { canonicalJson } from '../../gateway/journal/canonical.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text for a re-serialised value', () => {
    const value = { zeta: 'ж', alpha: [1.5, -2, 1e21, true], mid: { x: '\u0001' } };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
    expect(canonicalJson(JSON.parse(JSON.stringify(value, null, 4)))).toBe(text);
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ b: 1, B: 2, é: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"B":2,"b":1,"é":3}');
  });

  it('writes numbers and strings as JSON.stringify does, lone surrogates escaped', () => {
    expect(canonicalJson([-0, 0.1, 100, 1e-7, '\ud800', 'é'])).toBe('[0,0.1,100,1e-7,"\\ud800","é"]');
  });

  it('leaves out undefined members and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('refuses what has no faithful JSON form, naming where', () => {
    const cases: [unknown, RegExp][] = [
      [{ t: Number.NaN }, /NaN is not a finite number at \$\.t/],
      [[1, Number.POSITIVE_INFINITY], /Infinity .* at \$\[1\]/],
      [{ n: 1n }, /bigint/],
      [{ f: () => 1 }, /function/],
      [{ d: new Date(0) }, /plain objects .* Date at \$\.d/],
      [{ m: new Map() }, /Map/],
      [undefined, /undefined has no JSON form/],
    ];
    for (const [value, message] of cases) {
      expect(() => canonicalJson(value)).toThrow(GatewardenError);
      expect(() => canonicalJson(value)).toThrow(message);
    }
  });

  it('refuses cycles but accepts a value shared by two branches', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as object, { b: 2, a: 1 });
    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });
});

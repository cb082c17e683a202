import fc from 'fast-check';
import { z } from 'zod';

/**
 * Schema-guided JSON for the targets whose input is a JSON document (upstream requests, admin API
 * bodies, registry imports, peer messages): values built from the JSON Schema of the real zod
 * schema, so that most of them get past the schema to the checks behind it, then mutated (a node
 * replaced, removed, duplicated as an unknown key, retyped) so that every refusal path is taken
 * too. Pure JSON: no undefined, no non-finite numbers.
 */

type Schema = Record<string, unknown>;

export interface SchemaArbitraryOptions {
  /** Strings tried wherever they fit the schema: real ids, valid instants and ID numbers. */
  strings?: readonly string[];
  /** Longest array generated (default 3). */
  maxItems?: number;
}

const MAX_DEPTH = 12;

/** JSON values of every kind, small, with the keys careless code trips on. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf(), tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(trapKey(), tie('node'), { noNullPrototype: true, maxKeys: 4 }),
})).node;

export function jsonLeaf(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '',
      ' ',
      '__proto__',
      'constructor',
      '0',
      '-1',
      'true',
      'null',
      '2022-04-01',
      '\u0000',
      '𠀀',
    ),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(0, -1, 2 ** 53, -(2 ** 31), 1e308, 0.1, 1.5),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
}

function trapKey(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'id', 'type'),
  );
}

/** Values of `schema` (a zod schema, read as its input JSON Schema), mutated about a third of the time. */
export function fromZod(schema: z.ZodType, options: SchemaArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return mutated(fromJsonSchema(json, options));
}

export function fromJsonSchema(root: Schema, options: SchemaArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const strings = options.strings ?? [];
  const maxItems = options.maxItems ?? 3;
  const resolve = (ref: string): Schema => {
    const path = ref.replace(/^#\//, '').split('/');
    let at: unknown = root;
    for (const part of path) at = (at as Record<string, unknown> | undefined)?.[part];
    if (at === undefined) throw new Error(`fuzz: unresolved $ref ${ref}`);
    return at as Schema;
  };
  const build = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (depth > MAX_DEPTH) return fc.constant(null);
    if (typeof schema.$ref === 'string') return build(resolve(schema.$ref), depth + 1);
    if ('const' in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (Array.isArray(union)) return fc.oneof(...union.map((s) => build(s, depth + 1)));
    if (Array.isArray(schema.allOf)) return build((schema.allOf as Schema[])[0] ?? {}, depth + 1);
    const type = schema.type;
    if (Array.isArray(type)) return fc.oneof(...type.map((t) => build({ ...schema, type: t }, depth)));
    switch (type) {
      case 'object':
        return objectOf(schema, (s) => build(s, depth + 1));
      case 'array': {
        const items = (schema.items ?? {}) as Schema;
        const minLength = Number(schema.minItems ?? 0);
        const maxLength = Math.max(minLength, Math.min(Number(schema.maxItems ?? maxItems), maxItems));
        return fc.array(build(items, depth + 1), { minLength, maxLength });
      }
      case 'string':
        return stringOf(schema, strings);
      case 'integer':
      case 'number':
        return numberOf(schema, type === 'integer');
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        return anyJson;
    }
  };
  return build(root, 0);
}

function objectOf(schema: Schema, build: (s: Schema) => fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const keys = Object.keys(properties);
  if (keys.length === 0) {
    const extra = schema.additionalProperties;
    const values = typeof extra === 'object' && extra !== null ? build(extra as Schema) : anyJson;
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), values, {
      noNullPrototype: true,
      maxKeys: 3,
    });
  }
  const required = new Set((schema.required ?? []) as string[]);
  const model = Object.fromEntries(keys.map((k) => [k, build(properties[k] as Schema)]));
  return fc.record(model, { noNullPrototype: true, requiredKeys: keys.filter((k) => required.has(k)) });
}

function stringOf(schema: Schema, pool: readonly string[]): fc.Arbitrary<string> {
  const min = Number(schema.minLength ?? 0);
  const max = Number(schema.maxLength ?? Number.POSITIVE_INFINITY);
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = pool.filter(
    (s) => s.length >= min && s.length <= max && (pattern === undefined || pattern.test(s)),
  );
  // A pattern's own lengths mostly fit; the few strings outside min/max are cut to fit. A negated
  // class (`[^\s\p{Cc}]`, the ids) is generated by filtering every character, a hundred times
  // slower: any short text stands in for it, and mostly fits it.
  const plain = fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, Math.min(max, 24)) });
  const generated =
    pattern === undefined || pattern.source.includes('[^')
      ? plain
      : fc.stringMatching(pattern).map((s) => (s.length > max ? s.slice(0, max) : s));
  return fits.length === 0 ? generated : fc.oneof(generated, fc.constantFrom(...fits));
}

function numberOf(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const low = Number(schema.minimum ?? schema.exclusiveMinimum ?? -1e6);
  const high = Number(schema.maximum ?? schema.exclusiveMaximum ?? 1e6);
  const min = Math.max(Math.ceil(low), Number.MIN_SAFE_INTEGER);
  const max = Math.min(Math.floor(high), Number.MAX_SAFE_INTEGER);
  const whole = fc.integer({ min: Math.min(min, max), max: Math.max(min, max) });
  return integer
    ? whole
    : fc.oneof(whole, fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true }));
}

/** How to change one node of a value: the node by pre-order index (modulo the count), and what to do. */
interface Mutation {
  node: number;
  op: 'replace' | 'remove' | 'add-key' | 'retype' | 'wrap' | 'null';
  leaf: unknown;
  key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record(
  {
    node: fc.nat(),
    op: fc.constantFrom('replace', 'remove', 'add-key', 'retype', 'wrap', 'null'),
    leaf: jsonLeaf(),
    key: trapKey(),
  },
  { noNullPrototype: true },
);

/** `arb`'s values as they are (two thirds of the time) or with one to three mutations. */
export function mutated(arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: arb },
    fc
      .tuple(arb, fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([value, plan]) => plan.reduce(apply, value)),
  );
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number } | undefined;

function apply(value: unknown, m: Mutation): unknown {
  const root = copy(value);
  const slots: Slot[] = [undefined];
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    const parent = v as Record<string, unknown> | unknown[];
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    for (const key of keys) {
      slots.push({ parent, key });
      visit((parent as Record<string | number, unknown>)[key]);
    }
  };
  visit(root);
  const slot = slots[m.node % slots.length];
  const current = slot === undefined ? root : (slot.parent as Record<string | number, unknown>)[slot.key];
  const next = change(current, m);
  if (slot === undefined) return next === REMOVED ? null : next;
  if (next === REMOVED) {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key as string];
  } else define(slot.parent, slot.key, next);
  return root;
}

const REMOVED = Symbol('removed');

function change(current: unknown, m: Mutation): unknown {
  switch (m.op) {
    case 'replace':
      return m.leaf;
    case 'remove':
      return REMOVED;
    case 'null':
      return null;
    case 'wrap':
      return [current];
    case 'retype':
      return typeof current === 'string'
        ? Number(current) || current.length
        : typeof current === 'number'
          ? String(current)
          : (JSON.stringify(current) ?? '');
    case 'add-key':
      if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
        const out = { ...(current as Record<string, unknown>) };
        define(out, m.key, m.leaf);
        return out;
      }
      return Array.isArray(current) ? [...current, m.leaf] : m.leaf;
  }
}

/** Sets an own property, also for `__proto__`, which plain assignment would turn into a prototype change. */
function define(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) define(out, k, copy((value as Record<string, unknown>)[k]));
  return out;
}

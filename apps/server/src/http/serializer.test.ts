import { serializerCompiler as encodingSerializerCompiler, ResponseSerializationError } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parsesAsEncodes, serializerCompiler } from './serializer.ts';

const route = (schema: unknown) => ({ schema, method: 'GET', url: '/x' });
const ours = (schema: z.ZodType) => serializerCompiler(route(schema));
const theirs = (schema: z.ZodType) => encodingSerializerCompiler(route(schema) as never);

const Decision = z.object({
  id: z.string(),
  outcome: z.enum(['allow', 'label', 'block']),
  reasons: z.array(z.string()),
  attestation: z.enum(['A', 'B', 'C']).nullable(),
  score: z.number().optional(),
  place: z.object({ lat: z.number().min(-90).max(90), lon: z.number() }).nullable(),
  tags: z.record(z.string(), z.union([z.string(), z.number()])),
});

describe('response serializer', () => {
  it('writes what the encoding serializer wrote: declared fields only, in any shape the schema allows', () => {
    const values = [
      { id: 'a', outcome: 'allow', reasons: [], attestation: null, place: null, tags: {} },
      { id: 'b', outcome: 'block', reasons: ['listed', 'spoofed'], attestation: 'C', score: 0.5, place: { lat: 43.2, lon: 76.9, secret: 'x' }, tags: { a: 'x', b: 2 } },
      // Fields the schema does not declare (a contact, a hash) never reach the wire.
      { id: 'c', outcome: 'label', reasons: ['x'], attestation: 'A', place: null, tags: {}, contactPhone: '+77011234567', internal: { hash: 'ff' } },
    ];
    for (const v of values) {
      const text = ours(Decision)(v);
      expect(text).toBe(theirs(Decision)(v));
      expect(text).not.toContain('secret');
      expect(text).not.toContain('contactPhone');
    }
  });

  it('refuses a reply that breaks its schema (the route answers 500, nothing wrong is sent)', () => {
    const bad = [
      { id: 'a', outcome: 'maybe', reasons: [], attestation: null, place: null, tags: {} },
      { id: 'a', outcome: 'allow', reasons: [1], attestation: null, place: null, tags: {} },
      { id: 'a', outcome: 'allow', reasons: [], attestation: null, place: { lat: 91, lon: 0 }, tags: {} },
      { outcome: 'allow', reasons: [], attestation: null, place: null, tags: {} },
    ];
    for (const v of bad) {
      expect(() => ours(Decision)(v)).toThrow(ResponseSerializationError);
      expect(() => theirs(Decision)(v)).toThrow(ResponseSerializationError);
    }
  });

  it('encodes, as before, a schema with a step that runs one way only', () => {
    const Stamp = z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() });
    const WithCodec = z.object({ at: Stamp });
    const WithDefault = z.object({ n: z.number().default(7) });
    expect(parsesAsEncodes(WithCodec)).toBe(false);
    expect(parsesAsEncodes(WithDefault)).toBe(false);
    expect(parsesAsEncodes(z.object({ s: z.string().transform((s) => s.length) }))).toBe(false);
    // A codec's encoding direction turns the Date back into its text; parsing would refuse the Date.
    const at = new Date('2026-12-07T06:00:00.000Z');
    expect(ours(WithCodec)({ at })).toBe('{"at":"2026-12-07T06:00:00.000Z"}');
    // Encoding does not fill a default (parsing would): a reply without the field stays refused, as before.
    expect(() => ours(WithDefault)({})).toThrow(ResponseSerializationError);
    expect(() => theirs(WithDefault)({})).toThrow(ResponseSerializationError);
    expect(ours(WithDefault)({ n: 3 })).toBe('{"n":3}');
  });

  it('parses every plain shape, nested ones and recursive ones included', () => {
    type Node = { name: string; children: Node[] };
    const Tree: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(Tree) }));
    expect(parsesAsEncodes(Decision)).toBe(true);
    expect(parsesAsEncodes(Tree)).toBe(true);
    expect(parsesAsEncodes(z.tuple([z.string(), z.number()], z.boolean()))).toBe(true);
    expect(parsesAsEncodes(z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })))).toBe(true);
    expect(parsesAsEncodes(z.object({ inner: z.array(z.object({ n: z.number().default(1) })) }))).toBe(false);
    expect(ours(Tree)({ name: 'a', children: [{ name: 'b', children: [], extra: 1 }] })).toBe('{"name":"a","children":[{"name":"b","children":[]}]}');
  });
});

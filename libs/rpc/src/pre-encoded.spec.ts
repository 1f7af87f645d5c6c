import { create, fromBinary, toBinary, toJson } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ActivityUpdateSchema, EventSchema } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { preEncoded, wantsBinary } from './pre-encoded.js';

describe('preEncoded', () => {
  it('encodes to exactly the bytes it was given, which decode to the original', () => {
    const event = create(EventSchema, {
      projectId: 'p-1',
      seq: 42n,
      time: timestampFromDate(new Date('2026-12-04T19:00:00Z')),
      payload: {
        case: 'activityUpdate',
        value: create(ActivityUpdateSchema, { taskId: 't', message: 'héllo ✓ \u0000 done' }),
      },
    });
    const bytes = toBinary(EventSchema, event);
    const shell = preEncoded(EventSchema, bytes);
    expect(shell.$typeName).toBe(EventSchema.typeName);
    expect(toBinary(EventSchema, shell)).toEqual(bytes);
    expect(fromBinary(EventSchema, toBinary(EventSchema, shell))).toEqual(event);
    // Its fields are unset: only the binary format carries it.
    expect(toJson(EventSchema, shell)).toEqual({});
  });

  it('keeps an empty encoding empty', () => {
    const shell = preEncoded(EventSchema, new Uint8Array());
    expect(toBinary(EventSchema, shell)).toEqual(new Uint8Array());
  });
});

describe('wantsBinary', () => {
  it.each([
    ['application/grpc', true],
    ['application/grpc+proto', true],
    ['application/grpc-web', true],
    ['application/grpc-web+proto', true],
    ['application/connect+proto', true],
    ['application/proto', true],
    ['application/grpc+json', false],
    ['application/grpc-web+json; charset=utf-8', false],
    ['application/connect+json', false],
    ['Application/JSON', false],
    [null, false],
    ['', false],
  ])('%s: %s', (type, binary) => {
    expect(wantsBinary(type)).toBe(binary);
  });
});

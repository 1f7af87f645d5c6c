import { create, type DescMessage, type MessageShape, type UnknownField } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';

// A message encoded once can be sent many times without encoding it again: a server that
// already holds a message's binary encoding (the event log stores every event so) hands
// connect a message of the same type whose fields are all unset and whose encoding is kept
// as protobuf's "unknown fields", which the binary writer copies out as they are. The bytes
// on the wire are the encoding itself; only the binary format can carry them, so a client
// that asked for JSON gets the message itself.

/** A message of `schema` whose binary encoding is exactly `bytes` (an encoding of one). */
export function preEncoded<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): MessageShape<Desc> {
  const message = create(schema);
  if (bytes.byteLength === 0) return message;
  // The writer puts each unknown field's tag before its data: the first tag is split off.
  const reader = new BinaryReader(bytes);
  const [no, wireType] = reader.tag();
  const unknown: UnknownField[] = [{ no, wireType, data: bytes.subarray(reader.pos) }];
  return Object.assign(message, { $unknown: unknown });
}

/** Whether a request's content type asks for the binary format (gRPC, gRPC-Web or Connect
 * with protobuf), so that a pre-encoded message may answer it. */
export function wantsBinary(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type !== '' && type !== 'application/json' && !type.endsWith('+json');
}

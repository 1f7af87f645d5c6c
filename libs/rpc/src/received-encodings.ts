import {
  clone,
  createFileRegistry,
  type DescMessage,
  type DescMethodServerStreaming,
  fromBinary,
  isFieldSet,
  type Message,
  mergeFromBinary,
} from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  type FieldDescriptorProto,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt';
import { rememberEncoding } from '@codeframe/proto';
import { Code, ConnectError, type StreamResponse, type Transport } from '@connectrpc/connect';

// A server stream whose messages are relayed on as they came: the lead stores each event a
// worker streams, and encoding it again cost it more than anything else it does with one.
// The stream is read as a view of its message without the oneof's message fields, so that
// the one a message sets arrives as protobuf's unknown field, with its bytes, and the rest
// is decoded as usual; the member is then decoded from those bytes, which it keeps
// (encodingOf) and the store copies (libs/store, event-encoding.ts).
// Only the binary formats carry the bytes; the CodeFRAME clients speak them.

/**
 * `transport`, with the messages of the server streams `methods` decoded so that each
 * message of `holder` in them (the message itself, or the elements of a repeated field of
 * it: a batch) has the message set in its oneof `oneof` keep its encoding as received.
 * Everything else is unchanged: the same messages, errors and cancellation.
 */
export function keepingReceivedEncodings(
  transport: Transport,
  holder: DescMessage,
  oneof: string,
  methods: readonly DescMethodServerStreaming[],
): Transport {
  const views = withoutOneof(holder, oneof);
  const members: Members = new Map();
  for (const field of holder.oneofs.find((o) => o.localName === oneof)!.fields) {
    if (field.fieldKind === 'message') members.set(field.number, field);
  }
  const one = (received: Message) => withMember(holder, oneof, members, received);
  const read = new Map<unknown, { output: DescMessage; decode: (m: Message) => Message }>();
  for (const method of methods) {
    const output = views.getMessage(method.output.typeName);
    if (!output)
      throw new Error(`${method.output.typeName} is not in the file of ${holder.typeName}`);
    const lists = method.output.fields.filter(
      (f) =>
        f.fieldKind === 'list' &&
        f.listKind === 'message' &&
        f.message.typeName === holder.typeName,
    );
    const decode =
      method.output.typeName === holder.typeName
        ? one
        : (batch: Message) => {
            const fields = batch as Message & Record<string, Message[]>;
            for (const list of lists) fields[list.localName] = fields[list.localName]!.map(one);
            return batch;
          };
    read.set(method, { output, decode });
  }
  return {
    unary: (...args) => transport.unary(...args),
    async stream(m, signal, timeoutMs, header, input, contextValues) {
      const view = read.get(m);
      if (!view) return transport.stream(m, signal, timeoutMs, header, input, contextValues);
      const response = await transport.stream(
        { ...m, output: view.output } as unknown as typeof m,
        signal,
        timeoutMs,
        header,
        input,
        contextValues,
      );
      return {
        ...response,
        method: m,
        message: mapped(response.message, view.decode),
      } as unknown as StreamResponse<never, never> as typeof response;
    },
  };
}

/** A oneof's message fields by number. */
type Members = Map<number, { localName: string; message: DescMessage }>;

async function* mapped<T, U>(source: AsyncIterable<T>, fn: (item: T) => U): AsyncGenerator<U> {
  for await (const item of source) yield fn(item);
}

/**
 * The messages of `schema`'s file, with `schema` as a message of the same name and wire
 * format without its oneof `oneof` (of messages only): read as it, a message delivers the
 * member it sets as an unknown field with its bytes, and the rest decoded. The file's other
 * messages that hold `schema` hold the view. Made once, from the schema's own file.
 */
function withoutOneof(schema: DescMessage, oneof: string) {
  const index = schema.oneofs.findIndex((o) => o.localName === oneof);
  if (index < 0) throw new Error(`${schema.typeName} has no oneof "${oneof}"`);
  if (schema.parent)
    throw new Error(`${schema.typeName} is nested: only a file's own messages are read so`);
  if (schema.oneofs[index]!.fields.some((f) => f.fieldKind !== 'message'))
    throw new Error(`${schema.typeName}.${oneof} is not a oneof of messages only`);
  const file = clone(FileDescriptorProtoSchema, schema.file.proto);
  const message = file.messageType.find((m) => m.name === schema.name)!;
  message.field = message.field.filter((f) => oneofOf(f) !== index);
  message.oneofDecl.splice(index, 1);
  for (const f of message.field) if ((oneofOf(f) ?? -1) > index) f.oneofIndex--;
  const dependencies = new Map(schema.file.dependencies.map((d) => [d.proto.name, d]));
  return createFileRegistry(file, (name) => dependencies.get(name));
}

/** The oneof a field of a descriptor is in (descriptor.proto is proto2: an unset index reads 0). */
const oneofOf = (field: FieldDescriptorProto): number | undefined =>
  isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex) ? field.oneofIndex : undefined;

/** The message `received` (read as the view) is, as a message of `schema`: its oneof member
 * decoded from the bytes it came as and remembered with them. A member seen more than once
 * would be merged by protobuf's rules: the message is then decoded from all of them, keeping
 * no bytes. */
function withMember(
  schema: DescMessage,
  oneof: string,
  members: Members,
  received: Message,
): Message {
  const message = received as Message & Record<string, unknown>;
  const unknown = message.$unknown ?? [];
  const inOneof = unknown.filter((f) => members.has(f.no));
  const others = unknown.filter((f) => !members.has(f.no));
  // The view has the schema's fields but the oneof: it is a message of the schema once the
  // oneof is there.
  message[oneof] = { case: undefined };
  if (others.length > 0) message.$unknown = others;
  else delete message.$unknown;
  if (inOneof.length === 0) return message;
  try {
    if (inOneof.length > 1 || inOneof[0]!.wireType !== WireType.LengthDelimited) {
      const writer = new BinaryWriter();
      for (const field of inOneof) writer.tag(field.no, field.wireType).raw(field.data);
      return mergeFromBinary(schema, message, writer.finish());
    }
    const { no, data } = inOneof[0]!;
    const member = members.get(no)!;
    // The unknown field's data is the member's length and then its bytes.
    const bytes = new BinaryReader(data).bytes();
    const value = rememberEncoding(fromBinary(member.message, bytes), bytes);
    message[oneof] = { case: member.localName, value };
    return message;
  } catch (err) {
    // What connect's own decoding throws for a message that does not decode.
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConnectError(`parse binary: ${reason}`, Code.Internal);
  }
}

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { monotonicMicros } from '../harness/bench-clock.js';

// A minimal WebSocket client for load generation: the handshake, unmasked server frames
// parsed in place from the socket's chunks (no copy, no per-message event object), and
// masked text frames out. It is what lets two small processes stand in for thousands of
// browsers without becoming the bottleneck of the server they measure.

export interface FrameHandler {
  /** The upgrade succeeded; called before any frame is handed over. */
  onOpen(ws: RawWebSocket): void;
  /** A text or binary frame's payload is buf[start, end); `nowUs` is when its chunk arrived. */
  onFrame(buf: Buffer, start: number, end: number, nowUs: number): void;
  onClose(): void;
}

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const OPCODE_CLOSE = 8;
const OPCODE_PING = 9;

export class RawWebSocket {
  #pending: Buffer | undefined;
  #closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly handler: FrameHandler,
  ) {}

  /** Opens ws://host:port/path; resolves once the server accepted the upgrade. */
  static connect(
    host: string,
    port: number,
    path: string,
    handler: FrameHandler,
    timeoutMs = 30_000,
  ): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      let ws: RawWebSocket | undefined;
      let head: Buffer | undefined = Buffer.alloc(0);
      // Reads land in one buffer shared by every socket of the process and are parsed
      // before the callback returns: no allocation and no stream event per read.
      const socket = connect({
        host,
        port,
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array) => {
            const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
            if (ws) ws.#onData(chunk);
            else onHead(chunk);
            return true;
          },
        },
      });
      const key = randomBytes(16).toString('base64');
      const timer = setTimeout(() => fail(new Error('upgrade timed out')), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      const onHead = (chunk: Buffer) => {
        if (!head) return;
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const received = head;
        head = undefined;
        socket.off('error', fail);
        clearTimeout(timer);
        const status = received.subarray(0, received.indexOf('\r\n')).toString();
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        const opened = new RawWebSocket(socket, handler);
        ws = opened;
        socket.on('close', () => opened.#onClose());
        socket.on('error', () => opened.#onClose());
        handler.onOpen(opened);
        resolve(opened);
        const rest = received.subarray(end + 4);
        if (rest.length > 0) opened.#onData(rest);
      };
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  sendText(text: string): void {
    if (this.#closed) return;
    this.socket.write(maskedFrame(1, Buffer.from(text)));
  }

  close(): void {
    if (this.#closed) return;
    this.socket.end(maskedFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8])));
    this.socket.destroySoon();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.handler.onClose();
  }

  #onData(chunk: Buffer): void {
    // Every frame of a chunk arrived together: one clock reading serves them all.
    const nowUs = monotonicMicros();
    let buf = chunk;
    let off = 0;
    if (this.#pending) {
      // Complete the frame that straddles two chunks, copying only that frame.
      const pending = this.#pending;
      const probe = Buffer.concat([pending, chunk.subarray(0, 14)]);
      const total = frameLength(probe, 0);
      if (total < 0 || pending.length + chunk.length < total) {
        this.#pending = Buffer.concat([pending, chunk]);
        return;
      }
      this.#pending = undefined;
      const frame = Buffer.concat([pending, chunk.subarray(0, total - pending.length)]);
      this.#handle(frame, 0, nowUs);
      off = total - pending.length;
      buf = chunk;
    }
    while (off < buf.length) {
      const total = frameLength(buf, off);
      if (total < 0 || off + total > buf.length) {
        this.#pending = Buffer.from(buf.subarray(off));
        return;
      }
      this.#handle(buf, off, nowUs);
      off += total;
    }
  }

  /** Handles the complete frame at buf[off]. */
  #handle(buf: Buffer, off: number, nowUs: number): void {
    const opcode = buf[off]! & 0x0f;
    const { header, length } = frameHeader(buf, off);
    const start = off + header;
    const end = start + length;
    if (opcode === OPCODE_PING) {
      if (!this.#closed) this.socket.write(maskedFrame(0x0a, buf.subarray(start, end)));
    } else if (opcode === OPCODE_CLOSE) {
      this.socket.end();
      this.#onClose();
    } else if (opcode <= 2) {
      this.handler.onFrame(buf, start, end, nowUs);
    }
  }
}

function frameHeader(buf: Buffer, off: number): { header: number; length: number } {
  const len7 = buf[off + 1]! & 0x7f;
  if (len7 === 126) return { header: 4, length: buf.readUInt16BE(off + 2) };
  if (len7 === 127) return { header: 10, length: Number(buf.readBigUInt64BE(off + 2)) };
  return { header: 2, length: len7 };
}

/** Header plus payload length of the frame at buf[off], or -1 when its header is incomplete. */
function frameLength(buf: Buffer, off: number): number {
  const left = buf.length - off;
  if (left < 2) return -1;
  const len7 = buf[off + 1]! & 0x7f;
  if (len7 === 126 && left < 4) return -1;
  if (len7 === 127 && left < 10) return -1;
  const { header, length } = frameHeader(buf, off);
  return header + length;
}

/** A client frame: FIN, the opcode, the mask bit with an all-zero key (so no XOR is needed). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const header = n < 126 ? 6 : n < 65_536 ? 8 : 14;
  const frame = Buffer.alloc(header + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65_536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  // bytes header-4 .. header-1 are the masking key: zeros
  payload.copy(frame, header);
  return frame;
}

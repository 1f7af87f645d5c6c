import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit, startServiceProcess } from './index.js';

// A minimal service: logs two listening lines as JSON and exits 0 on SIGTERM.
const SCRIPT = `
const http = require('node:http');
const servers = ['rpc', 'http'].map((name) => {
  const s = http.createServer((req, res) => res.end('ok'));
  s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', listener: name, port: s.address().port })));
  return s;
});
process.on('SIGTERM', () => { servers.forEach((s) => s.close()); console.log(JSON.stringify({ msg: 'bye' })); process.exit(0); });
`;

describe('startServiceProcess', () => {
  let dir: string;
  let entry: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'testkit-'));
    entry = join(dir, 'service.cjs');
    await writeFile(entry, SCRIPT);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves the ports a service logged and stops it with a signal', async () => {
    const service = await startServiceProcess({ entry, listeners: 2 });
    expect(Object.keys(service.ports).sort()).toEqual(['http', 'rpc']);
    const res = await fetch(`http://127.0.0.1:${service.ports.http}/`);
    expect(await res.text()).toBe('ok');
    expect(await service.stop()).toBe(0);
    expect(service.logs.some((l) => l.msg === 'bye')).toBe(true);
  });

  it('fails with the stderr of a service that exits before listening', async () => {
    const bad = join(dir, 'bad.cjs');
    await writeFile(bad, 'console.error("PORT is wrong"); process.exit(78);');
    await expect(startServiceProcess({ entry: bad })).rejects.toThrow(
      /exited \(78\).*PORT is wrong/s,
    );
    const run = await runToExit(bad, {});
    expect(run.code).toBe(78);
  });
});

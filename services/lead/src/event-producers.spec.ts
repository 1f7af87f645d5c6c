import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventSchema } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';

// Every payload of events.proto's Event is sent by some service: a case declared (and drawn
// by the dashboard) that nothing emits is a promise the system does not keep. A producer
// builds the payload as `{ case: '<name>', value: … }` (ProjectLedger.emit in the lead, the
// worker's taskEvents in libs/agent); the check reads the sources of services/ and libs/,
// leaving out specs, fixtures, generated code and built output.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', 'dist', 'gen', 'web']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : sources(path);
    const source = /\.ts$/.test(entry.name) && !/\.(spec|fixture|d)\.ts$/.test(entry.name);
    return source ? [path] : [];
  });
}

/** The payload cases of Event, as the generated schema has them. */
function payloadCases(): string[] {
  const payload = EventSchema.oneofs.find((o) => o.name === 'payload');
  return (payload?.fields ?? []).map((f) => f.localName);
}

/** Each case with the files that build it; a case no file builds has none. */
function producers(cases: string[], files: { path: string; text: string }[]) {
  return new Map(
    cases.map((name) => {
      const built = new RegExp(`\\bcase:\\s*['"\`]${name}['"\`]`);
      return [name, files.filter((f) => built.test(f.text)).map((f) => f.path)];
    }),
  );
}

const files = ['services', 'libs'].flatMap((top) =>
  sources(join(ROOT, top)).map((path) => ({
    path: relative(ROOT, path),
    text: readFileSync(path, 'utf8'),
  })),
);

describe('every event type is sent', () => {
  it('reads the payload cases from the schema and the producers from the sources', () => {
    expect(payloadCases()).toEqual(
      expect.arrayContaining(['taskStatusChanged', 'taskUnblocked', 'contextCompacted']),
    );
    expect(files.some((f) => f.path === 'libs/orchestrator/src/orchestrator.ts')).toBe(true);
    expect(files.some((f) => f.path.endsWith('.spec.ts'))).toBe(false);
  });

  it('finds no producer for a case only read, never built', () => {
    const found = producers(
      ['taskUnblocked', 'taskBlocked'],
      [
        { path: 'reader.ts', text: "if (e.payload.case === 'taskUnblocked') draw();" },
        { path: 'web.ts', text: "case 'taskUnblocked': return;" },
        { path: 'lead.ts', text: "emit(id, { case: 'taskBlocked', value })" },
      ],
    );
    expect(found).toEqual(
      new Map([
        ['taskUnblocked', []],
        ['taskBlocked', ['lead.ts']],
      ]),
    );
  });

  it('has a producer in services/ or libs/ for every payload case of Event', () => {
    const missing = [...producers(payloadCases(), files)]
      .filter(([, paths]) => paths.length === 0)
      .map(([name]) => name);
    expect(missing, `payload cases that nothing emits: ${missing.join(', ')}`).toEqual([]);
  });
});

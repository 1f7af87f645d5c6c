import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const buf = join(root, 'node_modules/.bin/buf');
// The last released contract, a buf image: see "Releasing the contract" in proto/README.md.
const released = join(root, 'proto/released/v1.binpb');

async function bufBreaking(cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(buf, ['breaking', 'proto', '--against', released], {
      cwd,
    });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the contract against the last released one (buf breaking)', () => {
  let copy: string | undefined;
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('proto/ breaks nothing that proto/released/v1.binpb promised', async () => {
    const result = await bufBreaking(root);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('fails when a field number changes', async () => {
    copy = await mkdtemp(join(tmpdir(), 'codeframe-breaking-'));
    await cp(join(root, 'proto'), join(copy, 'proto'), { recursive: true });
    await cp(join(root, 'buf.yaml'), join(copy, 'buf.yaml'));
    const lead = join(copy, 'proto/codeframe/v1/lead.proto');
    const text = await readFile(lead, 'utf8');
    expect(text).toContain('  string prd = 2 [');
    await writeFile(lead, text.replace('  string prd = 2 [', '  string prd = 12 ['));
    const result = await bufBreaking(copy);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/codeframe\/v1\/lead\.proto.*CreateProjectRequest/);
  });
});

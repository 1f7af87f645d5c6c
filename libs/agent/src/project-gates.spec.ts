import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ToolSchema } from '@codeframe/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectGates } from './project-gates.js';

const tool = (name: string) => create(ToolSchema, { name, path: `/usr/bin/${name}`, version: '1' });

describe('the gates a project defines', () => {
  let dir: string;
  const write = async (files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'project-gates-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('none for a project without checks', async () => {
    await write({ 'package.json': '{"scripts":{"test":"node --test"}}', 'a.js': '' });
    expect(await projectGates(dir, [tool('tsc'), tool('ruff')])).toEqual([]);
  });

  it("the package.json scripts, with the lockfile's package manager", async () => {
    await write({
      'package.json': '{"scripts":{"lint":"eslint .","typecheck":"tsc -p ."}}',
      'tsconfig.json': '{}',
      'pnpm-lock.yaml': '',
    });
    expect(await projectGates(dir, [])).toEqual([
      { name: 'lint', command: 'pnpm run lint' },
      { name: 'typecheck', command: 'pnpm run typecheck' },
    ]);
  });

  it('tsc --noEmit for a tsconfig, from node_modules or the sandbox, else nothing', async () => {
    await write({ 'tsconfig.json': '{}' });
    expect(await projectGates(dir, [])).toEqual([]);
    expect(await projectGates(dir, [tool('tsc')])).toEqual([
      { name: 'typecheck', command: 'tsc --noEmit' },
    ]);
    await write({ 'node_modules/.bin/tsc': '' });
    expect(await projectGates(dir, [])).toEqual([
      { name: 'typecheck', command: 'node_modules/.bin/tsc --noEmit' },
    ]);
  });

  it('ruff and a configured mypy for a Python project, from its virtualenv or the sandbox', async () => {
    await write({ 'app.py': 'x = 1\n' });
    expect(await projectGates(dir, [tool('mypy')])).toEqual([]);
    expect(await projectGates(dir, [tool('ruff'), tool('mypy')])).toEqual([
      { name: 'ruff', command: 'ruff check .' },
    ]);
    await write({ 'pyproject.toml': '[tool.mypy]\nstrict = true\n', '.venv/bin/mypy': '' });
    expect(await projectGates(dir, [tool('ruff')])).toEqual([
      { name: 'ruff', command: 'ruff check .' },
      { name: 'mypy', command: '.venv/bin/mypy .' },
    ]);
  });
});

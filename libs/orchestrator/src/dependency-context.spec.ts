import { create } from '@bufbuild/protobuf';
import { TaskSchema } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { DELIVERED_CHARS, dependencyContext } from './dependency-context.js';

const dep = (key: string, summary: string, files: string[]) =>
  create(TaskSchema, { id: `id-${key}`, key, title: `Task ${key}`, summary, filesChanged: files });

describe('dependencyContext', () => {
  it('is the PRD alone for a task without dependencies', () => {
    expect(dependencyContext('# PRD', [])).toBe('# PRD');
  });

  it('names each dependency with its summary and files, after the PRD', () => {
    expect(
      dependencyContext('# PRD', [dep('api', 'Added GET /todos', ['api.js', 'api.test.js'])]),
    ).toBe(
      '# PRD\n\n## What its dependencies delivered\n\n### api: Task api\nAdded GET /todos\nFiles changed: api.js, api.test.js',
    );
  });

  it('stays bounded however long the summaries and file lists are', () => {
    const files = Array.from({ length: 500 }, (_, i) => `src/file-${i}.js`);
    const deps = Array.from({ length: 30 }, (_, i) => dep(`d${i}`, 'y'.repeat(50_000), files));
    const context = dependencyContext('# PRD', deps);
    expect(context.length).toBeLessThan('# PRD'.length + DELIVERED_CHARS + 200);
    expect(context).toContain('### d0: Task d0');
    expect(context).toContain('characters cut]');
    expect(context).toContain('and 460 more');
    expect(context).toMatch(/characters of what the dependencies delivered cut/);
  });
});

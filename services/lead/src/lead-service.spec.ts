import { LeadService, ProjectStatus } from '@codeframe/proto';
import { requestValidation } from '@codeframe/rpc';
import { openSqliteStore } from '@codeframe/store';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { apiErrors } from './api-errors.js';
import { leadParts } from './lead-parts.fixture.js';
import { leadService, projectName } from './lead-service.js';

async function client() {
  const store = await openSqliteStore(':memory:');
  const parts = leadParts(store);
  const transport = createRouterTransport(
    (router) => {
      router.service(LeadService, leadService(parts));
    },
    { router: { interceptors: [apiErrors, requestValidation()] } },
  );
  return createClient(LeadService, transport);
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe('LeadService', () => {
  it('creates projects and lists them, oldest first', async () => {
    const lead = await client();
    expect((await lead.listProjects({})).projects).toEqual([]);
    const a = await lead.createProject({ prd: '# Todo API\n\nA REST API.' });
    const b = await lead.createProject({ name: 'cli', prd: 'A CLI.', budgetUsd: 2.5 });
    expect(a.project).toMatchObject({ name: 'Todo API', status: ProjectStatus.CREATED });
    expect(b.project).toMatchObject({ name: 'cli', budgetUsd: 2.5 });
    const listed = (await lead.listProjects({})).projects.map((p) => p.id);
    expect(listed).toEqual([a.project?.id, b.project?.id]);
    const got = await lead.getProject({ projectId: a.project?.id ?? '' });
    expect(got.project?.prd).toBe('# Todo API\n\nA REST API.');
  });

  it('refuses a bad request with INVALID_ARGUMENT naming the field', async () => {
    const lead = await client();
    const noPrd = await errorOf(lead.createProject({ prd: '  ' }));
    expect(noPrd?.code).toBe(Code.InvalidArgument);
    expect(noPrd?.rawMessage).toBe('prd: required: the product spec, in Markdown [prd.required]');
    const budget = await errorOf(lead.createProject({ prd: 'x', budgetUsd: -1 }));
    expect(budget?.rawMessage).toMatch(/^budget_usd: /);
    const concurrency = await errorOf(lead.createProject({ prd: 'x', maxConcurrency: -2 }));
    expect(concurrency?.rawMessage).toMatch(/^max_concurrency: /);
    const long = await errorOf(lead.createProject({ prd: 'x', name: 'n'.repeat(201) }));
    expect(long?.rawMessage).toBe('name: must be at most 200 characters [string.max_len]');
    // A name taken from the PRD's heading is held to the same length.
    const heading = await errorOf(lead.createProject({ prd: `# ${'n'.repeat(201)}` }));
    expect(heading?.rawMessage).toMatch(/^name: value length must be at most 200 characters/);
  });

  it('refuses control characters in a name, naming the field and the code point, and stores nothing', async () => {
    const lead = await client();
    const nul = await errorOf(lead.createProject({ prd: '# x', name: 'evil\u0000name' }));
    expect({ code: nul?.code, message: nul?.rawMessage }).toEqual({
      code: Code.InvalidArgument,
      message: 'name: contains the control character U+0000 at position 5: use printable text',
    });
    const esc = await errorOf(lead.createProject({ prd: '# x', name: 'a\u001b[2Jb' }));
    expect(esc?.rawMessage).toMatch(/^name: contains the control character U\+001B at position 2/);
    // A heading the name would be taken from is refused with the PRD it is in.
    const heading = await errorOf(lead.createProject({ prd: '# bad\u009bheading\n' }));
    expect(heading?.rawMessage).toMatch(
      /^prd: contains the control character U\+009B at position 6/,
    );
    const prd = await errorOf(lead.createProject({ prd: '# ok\n\tfine\r\n\u0007' }));
    expect(prd?.rawMessage).toMatch(/^prd: contains the control character U\+0007 at position 13/);
    expect((await lead.listProjects({})).projects).toEqual([]);
    const ok = await lead.createProject({ prd: '# ok\n\n\tindented\r\nline' });
    expect(ok.project?.name).toBe('ok');
  });

  it('refuses a PRD above its size limit with the size and the limit', async () => {
    const lead = await client();
    const big = `# big\n${'x'.repeat(1024 * 1024)}`;
    const err = await errorOf(lead.createProject({ prd: big }));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toBe('prd: must be at most 1048576 bytes [string.max_bytes]');
    expect((await lead.listProjects({})).projects).toEqual([]);
  });

  it('refuses control characters in ids and answers, keeping new lines in answers', async () => {
    const lead = await client();
    const id = await errorOf(lead.getProject({ projectId: 'p\u001b]0;x\u0007' }));
    expect(id?.rawMessage).toMatch(/^project_id: contains the control character U\+001B/);
    const answer = await errorOf(lead.answerBlocker({ blockerId: 'b', answer: 'yes\u001b[31m' }));
    expect(answer?.rawMessage).toMatch(/^answer: contains the control character U\+001B/);
    const multiline = await errorOf(lead.answerBlocker({ blockerId: 'b', answer: 'yes\nand\tno' }));
    expect(multiline?.code).toBe(Code.NotFound);
  });

  it('answers NOT_FOUND for an unknown project', async () => {
    const err = await errorOf((await client()).getProject({ projectId: 'nope' }));
    expect(err?.code).toBe(Code.NotFound);
    expect(err?.rawMessage).toBe('project "nope" does not exist');
  });

  it('answers NOT_FOUND for unknown tasks and blockers, and validates answers', async () => {
    const lead = await client();
    expect((await errorOf(lead.planProject({ projectId: 'x' })))?.code).toBe(Code.NotFound);
    expect((await errorOf(lead.getProjectSnapshot({ projectId: 'x' })))?.code).toBe(Code.NotFound);
    expect((await errorOf(lead.getTask({ taskId: 't' })))?.rawMessage).toBe(
      'task "t" does not exist',
    );
    expect((await errorOf(lead.answerBlocker({ blockerId: 'b', answer: '' })))?.rawMessage).toBe(
      'answer: required: the answer to the question [answer.required]',
    );
    expect((await errorOf(lead.answerBlocker({ blockerId: 'b', answer: 'yes' })))?.code).toBe(
      Code.NotFound,
    );
    expect((await errorOf(lead.listTasks({ projectId: '' })))?.rawMessage).toBe(
      'project_id: value is required [required]',
    );
  });
});

describe('projectName', () => {
  it('takes the first heading when no name is given', () => {
    expect(projectName('', 'intro\n## Notes app ##\n# Later')).toBe('Notes app');
    expect(projectName('', 'no heading')).toBe('untitled');
    expect(projectName(' given ', '# ignored')).toBe('given');
  });
});

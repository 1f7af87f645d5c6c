// Which URL a worker is sent for a project's repository: the lead's git endpoint for a
// worker on another host, the repository's path for one on the lead's machine.
import { create } from '@bufbuild/protobuf';
import { ProjectSchema } from '@codeframe/proto';
import type { Store } from '@codeframe/store';
import { describe, expect, it } from 'vitest';
import { defaultRepoUrl } from './project-repo.js';
import { ProjectRepos } from './project-repos.js';

const dataDir = '/srv/codeframe';
const project = create(ProjectSchema, { id: 'p-1', repoUrl: '' });
const own = { url: defaultRepoUrl(dataDir, 'p-1') };
const repos = (endpoint?: ProjectRepos['endpoint']) => {
  const r = new ProjectRepos({ dataDir, store: {} as Store });
  r.endpoint = endpoint;
  return r;
};
const endpoint = { baseUrl: 'http://10.0.0.4:7100/', token: 's3cret', always: false };

describe('the repository URL a worker is sent', () => {
  it('is the lead’s endpoint, with the token, for a worker on another host', () => {
    for (const worker of ['10.0.0.5:7101', 'http://worker-1.example:7101', '[fd00::5]:7101']) {
      expect(repos(endpoint).forWorker(project, own, worker), worker).toBe(
        'http://codeframe:s3cret@10.0.0.4:7100/git/p-1.git',
      );
    }
  });

  it('is the path for a worker on the lead’s machine, unless the endpoint is always used', () => {
    for (const worker of ['127.0.0.1:7101', '127.0.0.2:7101', 'localhost:7101', '[::1]:7101']) {
      expect(repos(endpoint).forWorker(project, own, worker), worker).toBe(own.url);
      expect(repos({ ...endpoint, always: true }).forWorker(project, own, worker), worker).toBe(
        'http://codeframe:s3cret@10.0.0.4:7100/git/p-1.git',
      );
    }
  });

  it('is the path when the lead serves no endpoint, and a given URL as it was given', () => {
    expect(repos().forWorker(project, own, '10.0.0.5:7101')).toBe(own.url);
    const given = {
      url: 'https://git.example/team/app.git',
      credentials: { username: 'u', password: 'p' },
    };
    expect(repos(endpoint).forWorker(project, given, '10.0.0.5:7101')).toBe(
      'https://u:p@git.example/team/app.git',
    );
    expect(repos({ ...endpoint, token: undefined }).forWorker(project, own, '10.0.0.5:7101')).toBe(
      'http://10.0.0.4:7100/git/p-1.git',
    );
  });
});

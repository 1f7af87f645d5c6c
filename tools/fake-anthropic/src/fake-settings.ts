import { env } from '@codeframe/runtime';
import { brainSetting } from './brains/index.js';

/** The variables `node tools/fake-anthropic/dist/main.js` reads. */
export const fakeSettings = {
  host: env.string('HOST', '127.0.0.1'),
  port: env.port('PORT', 7090),
  brain: brainSetting('CODEFRAME_FAKE_BRAIN', 'echo'),
  /** 0: no window; else requests past it are answered 400 "prompt is too long". */
  contextWindowTokens: env.int('CODEFRAME_FAKE_CONTEXT_WINDOW_TOKENS', 0),
};

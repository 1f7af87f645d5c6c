import { loadConfig, runService } from '@codeframe/runtime';
import { startFakeAnthropic } from './fake-anthropic.js';
import { fakeSettings } from './fake-settings.js';

// The fake as its own process, for the offline demo: point the SDK (ANTHROPIC_BASE_URL) at
// the URL it logs.

await runService('fake-anthropic', async (log) => {
  const config = loadConfig(fakeSettings);
  const fake = await startFakeAnthropic({
    host: config.host,
    port: config.port,
    brain: config.brain.brain,
    logger: log,
    contextWindowTokens: config.contextWindowTokens || undefined,
  });
  log.info(
    { listener: 'http', port: fake.port, url: fake.url, brain: config.brain.name },
    'listening',
  );
  return { stop: () => fake.close() };
});

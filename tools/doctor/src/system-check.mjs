#!/usr/bin/env node
// npm start's and npm test's first step (the root package.json's prestart and pretest), before
// Nx builds anything: what the command needs from this machine is there, or, as root on
// Debian, it is installed (apt-get, saying what and why), or the command stops at once with
// one sentence naming what is missing and the command that installs it. .ci/run calls it
// with --install before `npm ci`.
import { spawnSync } from 'node:child_process';
import { installCommand, onPath, runSystemChecks } from './checks.mjs';

const USAGE = `usage: node tools/doctor/src/system-check.mjs start|test [--install]

  start|test   check what npm start or npm test needs
  --install    install the missing Debian packages (as root, whatever
               CODEFRAME_INSTALL_SYSTEM_PACKAGES says); skips what npm ci installs

As root with apt-get, the missing Debian packages are installed unless
CODEFRAME_INSTALL_SYSTEM_PACKAGES=false. Exit status: 0 ready, 1 something is missing,
2 wrong usage, 78 a bad CODEFRAME_INSTALL_SYSTEM_PACKAGES.
`;
const VARIABLE = 'CODEFRAME_INSTALL_SYSTEM_PACKAGES';
const EXIT_CONFIG = 78;

/** @param {string} text */
const say = (text) => process.stderr.write(`${text}\n`);

/** @returns {number} */
function main() {
  const args = process.argv.slice(2);
  const purpose = args.find((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  if (flags.includes('--help') || flags.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = [
    ...flags.filter((f) => f !== '--install'),
    ...args.filter((a) => !a.startsWith('-')).slice(1),
  ];
  if ((purpose !== 'start' && purpose !== 'test') || unknown.length > 0) {
    say(
      `system-check: ${unknown.length ? `unknown argument "${unknown[0]}"` : 'say start or test'}\n${USAGE}`,
    );
    return 2;
  }
  const forced = flags.includes('--install');
  const setting = installSetting(process.env[VARIABLE]);
  if (setting === 'invalid') {
    say(
      `npm ${purpose}: configuration error: ${VARIABLE}=${JSON.stringify(process.env[VARIABLE])} is not a boolean (expected true or false)`,
    );
    return EXIT_CONFIG;
  }
  const name = `npm ${purpose}`;
  const options = {
    purpose: /** @type {import('./checks.mjs').Purpose} */ (purpose),
    beforeNpmCi: forced,
  };
  let failed = failures(runSystemChecks(options));
  const packages = [...new Set(failed.flatMap((f) => f.result.packages))];
  const root = process.getuid?.() === 0;
  const aptGet = onPath('apt-get', process.env);
  if (packages.length > 0 && root && aptGet && (forced || setting !== false)) {
    const needs = failed
      .filter((f) => f.result.packages.length > 0)
      .map((f) => `${f.check.title} (${f.check.why})`);
    say(
      `${name}: installing the Debian packages it needs for ${needs.join(', ')}: apt-get update && ${installCommand(packages)}${forced ? '' : ` (${VARIABLE}=false stops instead)`}`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const argv of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
      const r = spawnSync(aptGet, argv, { env, stdio: ['ignore', 2, 2] });
      if (r.status !== 0) {
        say(
          `${name}: \`apt-get ${argv.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status}`}): install ${packages.join(' ')} yourself`,
        );
        return 1;
      }
    }
    failed = failures(runSystemChecks(options));
  } else if (forced && packages.length > 0) {
    say(`${name}: --install needs root and apt-get to install ${packages.join(' ')}`);
    return 1;
  }
  if (failed.length === 0) return 0;
  say(firstLine(name, failed, { root, aptGet: aptGet !== undefined, optedOut: setting === false }));
  for (const { check, result } of failed) {
    say(`  ✗ ${check.title}, for ${check.why}: ${result.detail}; ${result.fix}`);
  }
  return 1;
}

/**
 * @param {string | undefined} raw
 * @returns {boolean | undefined | 'invalid'}
 */
function installSetting(raw) {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
  if (/^(0|false|no|off)$/i.test(raw.trim())) return false;
  return 'invalid';
}

/** @param {import('./checks.mjs').CheckOutcome[]} outcomes */
function failures(outcomes) {
  return /** @type {{ check: import('./checks.mjs').SystemCheck, result: import('./checks.mjs').Failed }[]} */ (
    outcomes.filter((o) => !o.result.ok)
  );
}

/**
 * The one sentence that says what is missing and what installs it.
 * @param {string} name
 * @param {{ check: import('./checks.mjs').SystemCheck, result: import('./checks.mjs').Failed }[]} failed
 * @param {{ root: boolean, aptGet: boolean, optedOut: boolean }} how
 */
function firstLine(name, failed, how) {
  const installable = failed.filter((f) => f.result.packages.length > 0);
  if (installable.length === 0) {
    const [{ check, result }] = /** @type {[typeof failed[0]]} */ (failed);
    return `${name} cannot run here: ${check.title}: ${result.detail}; ${result.fix}`;
  }
  const titles = installable.map((f) => f.check.title);
  const list =
    titles.length > 1 ? `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)}` : titles[0];
  const packages = [...new Set(installable.flatMap((f) => f.result.packages))];
  const command = installCommand(packages);
  const advice = !how.root
    ? `install them with \`sudo ${command}\` (as root, ${name} installs them itself)`
    : `install them with \`${command}\`${how.optedOut ? ` (${VARIABLE}=false kept ${name} from doing it)` : how.aptGet ? '' : ' (apt-get is not on PATH)'}`;
  const more = failed.length > installable.length ? '; and see below' : '';
  return `${name} needs ${list}, which this machine lacks: ${advice}${more}.`;
}

process.exitCode = main();

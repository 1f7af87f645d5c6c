import { ConfigError, type Setting } from '@codeframe/runtime';
import type { Brain } from '../brain.js';
import { brokenPageBrain } from './broken-page.js';
import { echoBrain } from './echo.js';
import { exampleProjectsBrain } from './example-projects.js';
import { lintCorrectingModuleBrain } from './lint-correcting-module.js';
import { manyFilesBrain } from './many-files.js';
import { selfCorrectingModuleBrain } from './self-correcting-module.js';
import { stepByStepModuleBrain } from './step-by-step-module.js';

// The brains a fake-anthropic process can play, by name.

export const brains: Readonly<Record<string, Brain>> = {
  echo: echoBrain,
  examples: exampleProjectsBrain,
  'self-correcting-module': selfCorrectingModuleBrain,
  'lint-correcting-module': lintCorrectingModuleBrain,
  'step-by-step-module': stepByStepModuleBrain(10),
  'many-files': manyFilesBrain({ files: 30, bytes: 40_000 }),
  'broken-page': brokenPageBrain,
};

export const brainNames = (): string[] => Object.keys(brains);

/** A setting naming a brain of the registry; an unknown name lists the known ones. */
export function brainSetting(
  variable: string,
  fallback: string,
): Setting<{ name: string; brain: Brain }> {
  return {
    variable,
    read(raw) {
      const name = raw?.trim() || fallback;
      const brain = Object.hasOwn(brains, name) ? brains[name] : undefined;
      if (!brain) {
        throw new ConfigError(
          variable,
          `${variable}=${JSON.stringify(name)} is not a known brain (known brains: ${brainNames().join(', ')})`,
        );
      }
      return { name, brain };
    },
  };
}

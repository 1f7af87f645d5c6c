import type { WalkLimits } from '../worktree-files.js';

/** Entries a listing or a search looks at before it stops. */
export const MAX_WALK = 50_000;

/** How list_files and search walk the worktree: without .git and node_modules, bounded. */
export const WALK: WalkLimits = { skip: new Set(['.git', 'node_modules']), maxEntries: MAX_WALK };

import type { EdgeGrant } from '@codeframe/events';
import type { LeadClient } from '@codeframe/rpc';
import { ConnectError } from '@connectrpc/connect';

/**
 * Forwards a browser's answer to a blocker to the lead, once the blocker is known to be in
 * a project the browser's token grants. Resolves to an error sentence, or undefined when
 * the lead accepted the answer (the `blocker_resolved` event then reaches every watcher).
 */
export async function forwardAnswer(
  lead: LeadClient,
  grant: EdgeGrant,
  blockerId: string,
  answer: string,
): Promise<string | undefined> {
  try {
    if (grant.projects !== '*' && !(await blockerInGrant(lead, grant.projects, blockerId))) {
      return `blocker ${blockerId} is not in a project your token grants`;
    }
    await lead.answerBlocker({ blockerId, answer });
    return undefined;
  } catch (error) {
    return ConnectError.from(error).rawMessage;
  }
}

async function blockerInGrant(
  lead: LeadClient,
  projects: readonly string[],
  blockerId: string,
): Promise<boolean> {
  for (const projectId of projects) {
    try {
      const { blockers } = await lead.listBlockers({ projectId, includeResolved: true });
      if (blockers.some((b) => b.id === blockerId)) return true;
    } catch {
      // A granted project the lead does not know cannot hold the blocker.
    }
  }
  return false;
}

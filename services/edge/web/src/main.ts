// The CodeFRAME dashboard: one project's live state, from the edge's snapshot and event
// stream. See README section "Contracts" for the events and dashboard.ts for the layout.
import { AuthToken } from './auth-token.js';
import { Dashboard } from './dashboard.js';
import { EdgeApi } from './edge-api.js';

const root = document.getElementById('app');
if (root) {
  const token = AuthToken.fromPage();
  const dashboard = new Dashboard(root, new EdgeApi(token), token);
  void dashboard.start();
}

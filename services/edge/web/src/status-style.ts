// Labels and colour tones of every enum the dashboard shows. One tone per meaning, used
// for pills, card edges, log lines and the progress bar alike, so a colour always says
// the same thing.
import type { AgentState, BlockerStatus, ProjectStatus, TaskKind, TaskStatus } from './protocol.js';

export type Tone = 'neutral' | 'queued' | 'active' | 'planning' | 'warn' | 'ok' | 'bad' | 'muted';

export interface Style {
  label: string;
  tone: Tone;
}

export const taskStatusStyle: Record<TaskStatus, Style> = {
  TASK_STATUS_UNSPECIFIED: { label: 'unknown', tone: 'muted' },
  TASK_STATUS_PENDING: { label: 'pending', tone: 'neutral' },
  TASK_STATUS_ASSIGNED: { label: 'assigned', tone: 'queued' },
  TASK_STATUS_IN_PROGRESS: { label: 'in progress', tone: 'active' },
  TASK_STATUS_BLOCKED: { label: 'blocked', tone: 'warn' },
  TASK_STATUS_COMPLETED: { label: 'completed', tone: 'ok' },
  TASK_STATUS_FAILED: { label: 'failed', tone: 'bad' },
  TASK_STATUS_CANCELLED: { label: 'cancelled', tone: 'muted' },
};

export const projectStatusStyle: Record<ProjectStatus, Style> = {
  PROJECT_STATUS_UNSPECIFIED: { label: 'unknown', tone: 'muted' },
  PROJECT_STATUS_CREATED: { label: 'created', tone: 'neutral' },
  PROJECT_STATUS_PLANNING: { label: 'planning', tone: 'planning' },
  PROJECT_STATUS_PLANNED: { label: 'planned', tone: 'queued' },
  PROJECT_STATUS_RUNNING: { label: 'running', tone: 'active' },
  PROJECT_STATUS_PAUSED: { label: 'paused', tone: 'warn' },
  PROJECT_STATUS_COMPLETED: { label: 'completed', tone: 'ok' },
  PROJECT_STATUS_FAILED: { label: 'failed', tone: 'bad' },
};

export const agentStateStyle: Record<AgentState, Style> = {
  AGENT_STATE_UNSPECIFIED: { label: 'unknown', tone: 'muted' },
  AGENT_STATE_IDLE: { label: 'idle', tone: 'muted' },
  AGENT_STATE_PREPARING: { label: 'preparing', tone: 'queued' },
  AGENT_STATE_THINKING: { label: 'thinking', tone: 'planning' },
  AGENT_STATE_RUNNING_TOOL: { label: 'running tool', tone: 'active' },
  AGENT_STATE_TESTING: { label: 'testing', tone: 'active' },
  AGENT_STATE_CORRECTING: { label: 'correcting', tone: 'warn' },
  AGENT_STATE_COMMITTING: { label: 'committing', tone: 'ok' },
  AGENT_STATE_WAITING_FOR_HUMAN: { label: 'waiting for you', tone: 'warn' },
  AGENT_STATE_DONE: { label: 'done', tone: 'ok' },
};

export const blockerStatusStyle: Record<BlockerStatus, Style> = {
  BLOCKER_STATUS_UNSPECIFIED: { label: 'unknown', tone: 'muted' },
  BLOCKER_STATUS_OPEN: { label: 'open', tone: 'warn' },
  BLOCKER_STATUS_RESOLVED: { label: 'resolved', tone: 'ok' },
};

export const taskKindLabel: Record<TaskKind, string> = {
  TASK_KIND_UNSPECIFIED: 'task',
  TASK_KIND_BACKEND: 'backend',
  TASK_KIND_FRONTEND: 'frontend',
  TASK_KIND_TEST: 'test',
};

/** The board's columns, left to right, and the statuses each holds. */
export const boardColumns: readonly {
  id: string;
  label: string;
  tone: Tone;
  statuses: readonly TaskStatus[];
}[] = [
  {
    id: 'pending',
    label: 'Pending',
    tone: 'neutral',
    statuses: ['TASK_STATUS_PENDING', 'TASK_STATUS_UNSPECIFIED'],
  },
  {
    id: 'running',
    label: 'In progress',
    tone: 'active',
    statuses: ['TASK_STATUS_ASSIGNED', 'TASK_STATUS_IN_PROGRESS'],
  },
  { id: 'blocked', label: 'Blocked', tone: 'warn', statuses: ['TASK_STATUS_BLOCKED'] },
  { id: 'completed', label: 'Completed', tone: 'ok', statuses: ['TASK_STATUS_COMPLETED'] },
  {
    id: 'failed',
    label: 'Failed / cancelled',
    tone: 'bad',
    statuses: ['TASK_STATUS_FAILED', 'TASK_STATUS_CANCELLED'],
  },
];

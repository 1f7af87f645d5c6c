import { type Brain, text, toolUse } from '@codeframe/fake-anthropic';
import { formatStreamSpec, parseStreamSpec, type StreamSpec } from './stream-spec.js';

// The model of the pipeline benchmark only plans: `streams` independent backend tasks, each
// telling the synthetic worker what to stream. The worker never calls the model.

export function pipelinePrd(streams: number, spec: StreamSpec): string {
  return `# Pipeline benchmark\nstreams: ${streams}\n${formatStreamSpec(spec)}\n`;
}

export const pipelineBrain: Brain = (request) => {
  const prd = JSON.stringify(request.messages[0]?.content ?? '');
  const streams = Number(/streams: (\d+)/.exec(prd)?.[1] ?? 1);
  const spec = parseStreamSpec(prd) ?? { kind: 'burst', seconds: 1 };
  if (!JSON.stringify(request.tools ?? []).includes('submit_plan')) {
    return { content: [text('The pipeline benchmark plans only; its worker needs no model.')] };
  }
  const tasks = Array.from({ length: streams }, (_, i) => ({
    key: `stream-${i + 1}`,
    title: `Stream ${i + 1}`,
    description: formatStreamSpec(spec),
    kind: 'backend',
    depends_on: [],
    acceptance_criteria: ['every event reaches every browser'],
  }));
  return { content: [toolUse('submit_plan', { tasks })] };
};

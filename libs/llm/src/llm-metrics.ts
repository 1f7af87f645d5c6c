// Model calls, tokens and cost, by the configured model (never a name a response carries).

import type { UsageTotals } from '@codeframe/proto';
import { counter } from '@codeframe/runtime';

const calls = counter({
  name: 'codeframe_model_calls_total',
  help: 'Model calls, by model and outcome (ok, retried, failed).',
  labelNames: ['model', 'outcome'],
});
const tokens = counter({
  name: 'codeframe_model_tokens_total',
  help: 'Tokens of model calls, by model and kind (input, output, cache_read, cache_write).',
  labelNames: ['model', 'kind'],
});
const cost = counter({
  name: 'codeframe_model_cost_usd_total',
  help: 'Priced cost of model calls in US dollars, by model (unpriced models add nothing).',
  labelNames: ['model'],
});

export function recordModelCall(model: string, usage: UsageTotals): void {
  calls.labels(model, 'ok').inc();
  tokens.labels(model, 'input').inc(usage.inputTokens);
  tokens.labels(model, 'output').inc(usage.outputTokens);
  tokens.labels(model, 'cache_read').inc(usage.cacheReadInputTokens);
  tokens.labels(model, 'cache_write').inc(usage.cacheCreationInputTokens);
  cost.labels(model).inc(usage.costUsd);
}

export function recordModelFailure(model: string, retrying: boolean): void {
  calls.labels(model, retrying ? 'retried' : 'failed').inc();
}

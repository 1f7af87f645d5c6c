// Token counts as text, the same in the dashboard and the terminal.
import { allInputTokens, cachedTokens, type UsageTotals } from '@codeframe/proto/usage';

/** `950`, `12.3k`, `123k`, `1.24M`. */
export function formatTokens(n: number): string {
  if (n < 1_000) return String(Math.round(n));
  if (n < 100_000) return `${(n / 1_000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1_000)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

/** `23.3k in (11.3k cached) / 1.2k out`; the cached part is left out when there is none. */
export function tokensText(u: UsageTotals): string {
  const cached = cachedTokens(u);
  const share = cached > 0 ? ` (${formatTokens(cached)} cached)` : '';
  return `${formatTokens(allInputTokens(u))} in${share} / ${formatTokens(u.outputTokens)} out`;
}

import { Code, ConnectError } from '@connectrpc/connect';

/** Exit statuses of the codeframe command. */
export const Exit = {
  Ok: 0,
  /** The work itself failed: a task failed or was cancelled, the budget ran out. */
  WorkFailed: 1,
  /** The command was used wrongly: unknown command, missing argument, unreadable file. */
  Usage: 2,
  /** The lead could not be reached, refused the token, or refused the request. */
  Lead: 3,
} as const;

/** A failure the command reports as one sentence and an exit status; wrong usage also
 * prints the usage of the command that was misused. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** A sentence a person can act on for an RPC failure against the lead at `leadUrl`. */
export function leadError(error: unknown, leadUrl: string): CliError {
  if (error instanceof CliError) return error;
  const e = ConnectError.from(error);
  const tls = tlsFailure(e.rawMessage);
  if (tls) return new CliError(`cannot talk to the lead at ${leadUrl} over TLS: ${tls}`, Exit.Lead);
  switch (e.code) {
    case Code.Unavailable:
      return new CliError(
        `cannot reach the lead at ${leadUrl} (${e.rawMessage}): is it running? Start it with \`npm start\`, or point CODEFRAME_LEAD_URL at it`,
        Exit.Lead,
      );
    case Code.Unauthenticated:
      return new CliError(
        `the lead at ${leadUrl} refused the token (${e.rawMessage}): set CODEFRAME_AUTH_TOKEN to the token the lead was started with`,
        Exit.Lead,
      );
    case Code.DeadlineExceeded:
      return new CliError(`the lead at ${leadUrl} did not answer in time`, Exit.Lead);
    case Code.NotFound:
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.AlreadyExists:
    case Code.ResourceExhausted:
      return new CliError(e.rawMessage, Exit.Lead);
    default:
      return new CliError(`the lead failed: ${Code[e.code]}: ${e.rawMessage}`, Exit.Lead);
  }
}

/** What to do about a TLS handshake that failed (Node's or OpenSSL's words), if it is one. */
function tlsFailure(message: string): string | undefined {
  if (/certificate required|alert number 116|handshake failure/i.test(message)) {
    return `it requires a client certificate (${message.split('\n')[0]?.replace(/^.*:(tlsv13 alert [^:]+):.*$/, '$1')}): set CODEFRAME_TLS_CLIENT_CERT and CODEFRAME_TLS_CLIENT_KEY`;
  }
  if (
    /self[- ]signed certificate|unable to (get|verify) (local )?issuer|unknown ca|certificate has expired|does not match certificate|Hostname\/IP does not match|altnames/i.test(
      message,
    )
  ) {
    return `its certificate is not trusted (${message.split('\n')[0]}): set CODEFRAME_TLS_CA to the CA that signed it`;
  }
  return undefined;
}

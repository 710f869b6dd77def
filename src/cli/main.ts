import { parseArgs } from 'node:util';
import { ApiClient, ApiError } from './api-client.js';
import { checkRequests, readClientsFile } from './clients-file.js';
import * as commands from './commands.js';

/**
 * `client-provisioner`: the API from a terminal or a script. Talks HTTP to the API only
 * (PROVISIONER_API_URL, PROVISIONER_TOKEN, or --api and --token).
 */
const USAGE = `Usage: client-provisioner <command> [options]

Commands
  provision --client-id ID --name NAME --email EMAIL --tier TIER [--callback-url URL]
  provision --file clients.json|clients.csv     a batch (CSV header: clientId,clientName,orgEmail,tier[,callbackUrl])
  status RUN_ID                                 the run and its steps
  watch RUN_ID                                  follow the run's steps live until it ends
  list [--client-id ID] [--limit N]             runs, newest first
  retry RUN_ID                                  resume a failed run from its failed steps
  rollback RUN_ID                               roll back a failed run, tear down a succeeded one

Options
  --watch          after provision, retry or rollback: follow the run(s) until they end
  --api URL        the API (PROVISIONER_API_URL; default http://127.0.0.1:3000)
  --token TOKEN    a bearer token (PROVISIONER_TOKEN); admin to act, viewer to read
  --json           print the API's answers as JSON (progress goes to stderr)
  --interval MS    how often to poll while watching (default 1000)
  -h, --help

Exit status: 0 when the run ends succeeded (rolled_back for rollback; for status, also while it
is still moving), 1 when it ends otherwise or a request is refused, 2 on a usage error or when
the API cannot be reached.
`;

const USAGE_ERROR = 2;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      token: { type: 'string' },
      watch: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      interval: { type: 'string', default: '1000' },
      'client-id': { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      tier: { type: 'string' },
      'callback-url': { type: 'string' },
      file: { type: 'string', short: 'f' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, runId] = positionals;
  if (o.help || !command) {
    process.stdout.write(USAGE);
    return o.help ? 0 : USAGE_ERROR;
  }
  const token = o.token ?? env.PROVISIONER_TOKEN;
  if (!token) throw new UsageError('no token: set PROVISIONER_TOKEN or pass --token');
  const intervalMs = Number(o.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 50) throw new UsageError('--interval is milliseconds, at least 50');
  const ctx: commands.CliContext = {
    api: new ApiClient(o.api ?? env.PROVISIONER_API_URL ?? 'http://127.0.0.1:3000', token),
    out: process.stdout,
    progress: o.json ? process.stderr : process.stdout,
    json: o.json,
    watch: o.watch,
    intervalMs,
  };
  const needRunId = () => runId ?? fail(`${command} needs a RUN_ID`);
  switch (command) {
    case 'provision': {
      const requests = o.file
        ? await readClientsFile(o.file)
        : checkRequests(
            [
              {
                clientId: o['client-id'],
                clientName: o.name,
                orgEmail: o.email,
                tier: o.tier,
                ...(o['callback-url'] ? { callbackUrl: o['callback-url'] } : {}),
              },
            ],
            'provision',
          );
      return commands.provision(ctx, requests);
    }
    case 'status':
      return commands.status(ctx, needRunId());
    case 'watch':
      return commands.watch(ctx, needRunId());
    case 'list':
      return commands.list(ctx, { clientId: o['client-id'], limit: o.limit ? Number(o.limit) : undefined });
    case 'retry':
    case 'rollback':
      return commands.act(ctx, needRunId(), command);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}
function fail(message: string): never {
  throw new UsageError(message);
}

try {
  process.exitCode = await main(process.argv.slice(2), process.env);
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`client-provisioner: ${message}\n`);
  if (e instanceof UsageError || (e instanceof TypeError && 'code' in e)) process.stderr.write('(--help for usage)\n');
  process.exitCode = e instanceof ApiError && e.status !== 0 ? 1 : USAGE_ERROR;
}

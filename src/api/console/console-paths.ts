/** Where the console lives, and the paths of its pages, in one place. */
export const CONSOLE_PATH = '/console';

export const ACTIONS = ['retry', 'rollback', 'teardown'] as const;
export type ConsoleAction = (typeof ACTIONS)[number];

export const paths = {
  signIn: `${CONSOLE_PATH}/sign-in`,
  signOut: `${CONSOLE_PATH}/sign-out`,
  runs: `${CONSOLE_PATH}/runs`,
  runRows: `${CONSOLE_PATH}/runs/rows`,
  events: `${CONSOLE_PATH}/events`,
  asset: (name: string) => `${CONSOLE_PATH}/assets/${name}`,
  run: (runId: string) => `${CONSOLE_PATH}/runs/${encodeURIComponent(runId)}`,
  runLive: (runId: string) => `${CONSOLE_PATH}/runs/${encodeURIComponent(runId)}/live`,
  action: (runId: string, action: ConsoleAction) => `${CONSOLE_PATH}/runs/${encodeURIComponent(runId)}/${action}`,
};

/** A `next` target after signing in: only a console path of this origin. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && value.startsWith(`${CONSOLE_PATH}/`) && !/[\\\s]|\/\//.test(value)
    ? value
    : paths.runs;
}

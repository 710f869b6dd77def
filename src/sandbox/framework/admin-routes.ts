import express, { type Router } from 'express';
import type { SandboxLimits } from '../sandbox-limits.js';
import type { SandboxProfile } from '../sandbox-profiles.js';
import type { CallLog } from './call-log.js';
import type { ProviderEmulator } from './emulator.types.js';
import { faultRulesBody, type FaultBook } from './faults.js';
import { parseJson } from './http-exchange.js';
import type { SandboxWorld } from './sandbox-world.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export interface AdminContext {
  emulators: ProviderEmulator[];
  faults: FaultBook;
  calls: CallLog;
  rateLimits: boolean;
  limits: SandboxLimits;
  profile: SandboxProfile;
  world: SandboxWorld;
}

/** `/_sandbox/*`: state, calls, rate-limited answers, faults and reset; loopback only, whatever the bound address. */
export function adminRoutes(ctx: AdminContext): Router {
  const { emulators, faults, calls } = ctx;
  const admin = express.Router();
  admin.use((req, res, next) => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? ''))
      return void res.status(403).json({ error: 'sandbox admin routes are loopback only' });
    next();
  });
  admin.use(express.json());
  admin.get('/state', (_req, res) => {
    res.json(Object.fromEntries(emulators.map((e) => [e.name, e.state()])));
  });
  admin.get('/calls', (_req, res) => void res.json(calls.list()));
  admin.get('/rate-limits', (_req, res) => {
    const answers = calls.rateLimited();
    res.json({
      enforced: ctx.rateLimits,
      profile: ctx.profile,
      limits: ctx.limits,
      total: answers.reduce((sum, a) => sum + a.count, 0),
      answers,
    });
  });
  admin.get('/faults', (_req, res) => void res.json({ rules: faults.list() }));
  admin.post('/faults', (req, res) => {
    const parsed = faultRulesBody.safeParse(parseJson(req.body));
    if (!parsed.success) {
      return void res
        .status(400)
        .json({ error: { code: 'VALIDATION_FAILED', message: 'bad fault rules', details: parsed.error.issues } });
    }
    faults.add(parsed.data.rules);
    res.status(201).json({ rules: faults.list() });
  });
  admin.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  admin.post('/reset', async (_req, res, next) => {
    try {
      faults.clear();
      calls.clear();
      for (const e of emulators) await e.reset();
      // The stored world too: a sandbox started again after a reset finds a fresh one.
      await ctx.world.replaceStored();
      res.status(204).end();
    } catch (e) {
      next(e);
    }
  });
  return admin;
}

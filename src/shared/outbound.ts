import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { AppError } from './errors.js';
import { addressKind, inNetworks, parseCidr } from './ip-ranges.js';

/**
 * Where the service may send a request a client asked for (its `callbackUrl`): never to
 * this machine, the private network or a cloud metadata endpoint, whatever the URL's
 * spelling (decimal, octal, hex, IPv4-mapped IPv6 are normalised by the URL parser) or
 * its DNS answers. The check runs when the URL is accepted and again when sending: the name
 * is resolved, every address checked, and the checked address is the one dialled (no second
 * lookup for a rebinding DNS server to answer differently); redirects are never followed.
 */
export interface OutboundSettings {
  /** Sandbox mode: loopback (`http://127.0.0.1`, `localhost`) is allowed, for trying it out. */
  allowLoopback: boolean;
  /** When not empty, only these hosts: exact names, or `*.example.com` for its subdomains. */
  allowedHosts: readonly string[];
  /** Internal networks (CIDR) that may be called all the same; never the metadata endpoints. */
  allowedNetworks: readonly string[];
}

/** Every address a name resolves to. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

export interface OutboundRequest {
  method: 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface OutboundPolicy {
  readonly settings: OutboundSettings;
  /** Why the URL may not be called without resolving it, or undefined. */
  checkStatic(url: string): string | undefined;
  /** Why the URL may not be called, resolving its host; or undefined. */
  check(url: string): Promise<string | undefined>;
  /** Sends the request under the policy; throws OUTBOUND_REFUSED before any byte leaves when it may not. */
  send(url: string, request: OutboundRequest): Promise<{ status: number }>;
}

export const MAX_URL_LENGTH = 2048;
const RESOLVE_TIMEOUT_MS = 3000;
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data']);

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
const isLoopbackName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

export function createOutboundPolicy(settings: OutboundSettings, resolve: Resolver = systemResolver): OutboundPolicy {
  const networks = settings.allowedNetworks.map((n) => {
    const c = parseCidr(n);
    if (!c) throw new Error(`not a network: ${n}`);
    return c;
  });
  const hostAllowed = (host: string) =>
    settings.allowedHosts.length === 0 ||
    settings.allowedHosts.some((p) => {
      const pattern = bare(p);
      return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
    });

  /** Why a connection to this address is refused, or undefined. */
  const addressProblem = (address: string): string | undefined => {
    const kind = addressKind(address) ?? 'reserved';
    if (kind === 'public') return undefined;
    if (kind === 'loopback' && settings.allowLoopback) return undefined;
    if (kind !== 'cloud-metadata' && inNetworks(address, networks)) return undefined;
    return `${address} is a ${kind} address`;
  };

  const checkStatic = (raw: string): string | undefined => {
    if (raw.length > MAX_URL_LENGTH) return `longer than ${MAX_URL_LENGTH} characters`;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'not a URL';
    }
    if (url.username || url.password) return 'must not carry credentials';
    const host = bare(url.hostname);
    const loopbackLiteral = isIP(host) !== 0 && addressKind(host) === 'loopback';
    const loopback = loopbackLiteral || isLoopbackName(host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && settings.allowLoopback && loopback))
      return 'must be https (http only on loopback in sandbox mode)';
    if (!hostAllowed(host)) return `${host} is not in CALLBACK_ALLOWED_HOSTS`;
    if (isIP(host)) return addressProblem(host);
    if (isLoopbackName(host)) return settings.allowLoopback ? undefined : `${host} is a loopback name`;
    if (METADATA_NAMES.has(host)) return `${host} is a cloud metadata name`;
    if (!host.includes('.')) return `${host} is not a fully qualified name`;
    return undefined;
  };

  /** Resolves a name and refuses it when any of its addresses is refused. */
  const resolveChecked = async (host: string): Promise<LookupAddress[]> => {
    let addresses: LookupAddress[];
    let timer: NodeJS.Timeout | undefined;
    try {
      // A resolver that does not answer must not hold a request (or a worker) for long.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
      });
      addresses = await Promise.race([resolve(host), timeout]);
    } catch {
      throw refused(`${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
    if (!addresses.length) throw refused(`${host} does not resolve`);
    for (const a of addresses) {
      const problem = addressProblem(a.address);
      if (problem) throw refused(`${host} resolves to ${problem}`);
    }
    return addresses;
  };

  return {
    settings,
    checkStatic,
    async check(raw) {
      const problem = checkStatic(raw);
      if (problem) return problem;
      const host = bare(new URL(raw).hostname);
      if (isIP(host) || isLoopbackName(host)) return undefined;
      try {
        await resolveChecked(host);
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    },
    async send(raw, req) {
      const problem = checkStatic(raw);
      if (problem) throw refused(problem);
      const url = new URL(raw);
      const host = bare(url.hostname);
      // The address connected to is the one checked: resolved here, then dialled by number
      // (the name still goes in Host and in TLS's SNI and certificate check).
      const [target] = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveChecked(host);
      const tls = url.protocol === 'https:';
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      return new Promise((done, fail) => {
        const r = (tls ? httpsRequest : httpRequest)(
          {
            host: target!.address,
            family: target!.family,
            port: url.port || (tls ? 443 : 80),
            path: `${url.pathname}${url.search}`,
            method: req.method,
            headers: { ...req.headers, host: url.host, ...(body ? { 'content-length': String(body.length) } : {}) },
            ...(tls && !isIP(host) ? { servername: host } : {}),
            signal: AbortSignal.timeout(req.timeoutMs),
            agent: false,
          },
          (res: IncomingMessage) => {
            // Only the status matters; a redirect is an answer like any other, never followed.
            res.destroy();
            done({ status: res.statusCode ?? 0 });
          },
        );
        r.on('error', fail);
        r.end(body);
      });
    },
  };
}

const refused = (why: string) => new AppError('OUTBOUND_REFUSED', why);

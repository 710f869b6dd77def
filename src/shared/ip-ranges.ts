import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of address an IP is, for deciding whether the service may call it: the
 * special-purpose ranges of IANA's IPv4 and IPv6 registries, with the cloud metadata
 * endpoints named apart. IPv6 forms that carry an IPv4 address (mapped, compatible,
 * NAT64, 6to4) are judged by that IPv4 address.
 */
export type AddressKind =
  'public' | 'loopback' | 'private' | 'link-local' | 'unique-local' | 'multicast' | 'cloud-metadata' | 'reserved';

interface Ip {
  v: 4 | 6;
  n: bigint;
}
interface Cidr extends Ip {
  bits: number;
}

export function parseIp(text: string): Ip | undefined {
  const s = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(s)) return { v: 4, n: s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(s)) return undefined;
  let text6 = s;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseIp(dotted[1]!)!.n;
    text6 = `${s.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text6.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { v: 6, n: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText] = text.trim().split('/') as [string, string | undefined];
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.v === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (bitsText !== undefined && !/^\d+$/.test(bitsText)))
    return undefined;
  return { ...ip, bits };
}

export function inCidr(ip: Ip, cidr: Cidr): boolean {
  if (ip.v !== cidr.v) return false;
  const shift = BigInt((ip.v === 4 ? 32 : 128) - cidr.bits);
  return ip.n >> shift === cidr.n >> shift;
}

const table = (rows: [string, AddressKind][]) => rows.map(([c, kind]) => ({ cidr: parseCidr(c)!, kind }));

/** Most specific first: the first match names the kind. */
const V4 = table([
  ['169.254.169.254/32', 'cloud-metadata'], // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
  ['169.254.170.2/32', 'cloud-metadata'], // AWS ECS task metadata
  ['100.100.100.200/32', 'cloud-metadata'], // Alibaba Cloud
  ['0.0.0.0/8', 'reserved'], // "this network"; 0.0.0.0 reaches the local host
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT, shared address space
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // includes 255.255.255.255
]);

const V6 = table([
  ['fd00:ec2::254/128', 'cloud-metadata'], // AWS over IPv6
  ['::/128', 'reserved'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64
  ['100::/64', 'reserved'], // discard
  ['2001::/23', 'reserved'], // IETF protocol assignments, Teredo (2001::/32)
  ['2001:db8::/32', 'reserved'], // documentation
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // site-local (deprecated)
  ['ff00::/8', 'multicast'],
]);

/** The IPv4 address an IPv6 address stands for, if any. */
function embeddedV4(ip: Ip): Ip | undefined {
  if (ip.v !== 6) return undefined;
  const low32 = ip.n & 0xffffffffn;
  const high96 = ip.n >> 32n;
  if (high96 === 0xffffn) return { v: 4, n: low32 }; // ::ffff:a.b.c.d (mapped)
  if (high96 === 0n && ip.n > 1n) return { v: 4, n: low32 }; // ::a.b.c.d (compatible)
  if (high96 === 0x64ff9b0000000000000000n) return { v: 4, n: low32 }; // 64:ff9b::/96 (NAT64)
  if (ip.n >> 112n === 0x2002n) return { v: 4, n: (ip.n >> 80n) & 0xffffffffn }; // 2002::/16 (6to4)
  return undefined;
}

/** The kind of an address (`undefined` when the text is not an IP address). */
export function addressKind(text: string): AddressKind | undefined {
  const parsed = parseIp(text);
  if (!parsed) return undefined;
  const ip = embeddedV4(parsed) ?? parsed;
  return (ip.v === 4 ? V4 : V6).find((r) => inCidr(ip, r.cidr))?.kind ?? 'public';
}

/** Whether an address lies in one of the given networks (an IPv4-mapped IPv6 counts as its IPv4). */
export function inNetworks(text: string, networks: readonly Cidr[]): boolean {
  const parsed = parseIp(text);
  if (!parsed) return false;
  const ip = embeddedV4(parsed) ?? parsed;
  return networks.some((c) => inCidr(ip, c));
}

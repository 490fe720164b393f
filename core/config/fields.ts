/**
 * Field-level validators shared by the stack schema. Each message says what is wrong and
 * what would be right. Anything that may later reach a command line is constrained to a
 * character set without shell metacharacters: the commands never interpolate values, and
 * this is the second wall.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { quote } from './errors';

const SHELL_META = /[;&|`$<>()\\'"!*?{}[\]~#\s]/;

function metaHint(value: string): string {
  const found = value.match(SHELL_META);
  if (!found) return '';
  const ch = found[0] === ' ' ? 'a space' : /\s/.test(found[0]) ? 'white space' : `"${found[0]}"`;
  return ` (it contains ${ch}, a shell metacharacter, which never fits a name or address)`;
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

export const dnsLabel = (what: string) =>
  z.string().refine((v) => DNS_LABEL.test(v), {
    error: (iss) =>
      `${quote(iss.input)} is not a valid ${what}${metaHint(String(iss.input))}; use a DNS label: ` +
      'lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (e.g. "cp-1")',
  });

export function isHostname(v: string): boolean {
  return DNS_SUBDOMAIN.test(v) && !/^[0-9.]+$/.test(v);
}

export const ipAddress = z.string().refine((v) => isIP(v) !== 0, {
  error: (iss) => `${quote(iss.input)} is not an IP address${metaHint(String(iss.input))}; use e.g. 10.0.0.10 or fd00::10`,
});

export const address = z.string().refine((v) => isIP(v) !== 0 || isHostname(v), {
  error: (iss) =>
    `${quote(iss.input)} is neither an IP address nor a hostname${metaHint(String(iss.input))}; ` +
    'use an IPv4/IPv6 address (10.0.0.11) or a DNS name (node-1.example.com)',
});

export const cidr = z.string().refine(
  (v) => {
    if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(v)) return false;
    try {
      const [addr, bits] = ipaddr.parseCIDR(v);
      // the network address itself, not a host inside it: 10.0.0.5/24 is a typo for 10.0.0.0/24
      return ipaddr.IPv4.isValid(v.split('/')[0]) || ipaddr.IPv6.isValid(v.split('/')[0])
        ? networkAddress(addr, bits) === addr.toNormalizedString()
        : false;
    } catch {
      return false;
    }
  },
  {
    error: (iss) =>
      `${quote(iss.input)} is not a CIDR network${metaHint(String(iss.input))}; use an address with its prefix length and no host bits set, e.g. 10.244.0.0/16`,
  },
);

function networkAddress(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): string {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes).toNormalizedString();
}

/** Whether two CIDRs (or a CIDR and an address) share any address. */
export function overlaps(a: string, b: string): boolean {
  const pa = toRange(a);
  const pb = toRange(b);
  if (!pa || !pb || pa[0].kind() !== pb[0].kind()) return false;
  // two prefixes overlap exactly when the shorter contains the other's network address
  return pa[1] <= pb[1] ? pb[0].match(pa[0], pa[1]) : pa[0].match(pb[0], pb[1]);
}

function toRange(v: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  try {
    if (v.includes('/')) return ipaddr.parseCIDR(v);
    const a = ipaddr.parse(v);
    return [a, a.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

export const version = (what: string, example: string) =>
  z.string().refine((v) => /^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(v), {
    error: (iss) => `${quote(iss.input)} is not a ${what} version${metaHint(String(iss.input))}; write it as ${example}`,
  });

export const httpsUrl = (what: string) =>
  z.string().refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'https:' && !u.username && !u.password && !SHELL_META.test(v) && !u.search && !u.hash;
      } catch {
        return false;
      }
    },
    {
      error: (iss) => {
        const v = String(iss.input);
        if (/^http:/i.test(v)) return `${quote(v)} uses http; ${what} must be https, e.g. ${quote(v.replace(/^http:/i, 'https:'))}`;
        return `${quote(v)} is not an https URL${metaHint(v)}; ${what} must look like https://host[:port][/path] without credentials, query or fragment`;
      },
    },
  );

/** A Kubernetes resource.Quantity, as the API server parses it. */
export const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[mkMGTPE]|([eE][+-]?\d+))?$/;
export const quantity = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  const s = String(v);
  if (!QUANTITY.test(s)) {
    ctx.addIssue({
      code: 'custom',
      message: `${quote(v)} is not a Kubernetes quantity; use e.g. "500m", "2", "4Gi" or "100M"`,
    });
    return z.NEVER;
  }
  return s;
});

const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export const labelKey = z.string().refine((v) => LABEL_NAME.test(v) && v.length <= 316, {
  error: (iss) =>
    `${quote(iss.input)} is not a Kubernetes label key${metaHint(String(iss.input))}; use [prefix/]name, e.g. example.com/pool or pool`,
});
export const labelValue = z.string().refine((v) => LABEL_VALUE.test(v), {
  error: (iss) =>
    `${quote(iss.input)} is not a Kubernetes label value${metaHint(String(iss.input))}; use at most 63 letters, digits, "-", "_" or "."`,
});
export const labels = z.record(labelKey, labelValue);

/** Durations as Go's time.ParseDuration writes them (Talos and Kubernetes take that form). */
export const duration = z.string().refine((v) => /^(\d+(h|m|s))+$/.test(v) && !/^0+[hms]$/.test(v), {
  error: (iss) => `${quote(iss.input)} is not a duration; write it as e.g. 1h, 30m or 1h30m`,
});

export const isoDate = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), {
  error: (iss) => `${quote(iss.input)} is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31`,
});

/** Names of OIDC groups and claims: printable, no control characters, no shell metacharacters. */
export const groupName = z.string().min(1).refine((v) => !/[\s;&|`$<>\\'"]/.test(v) && v.length <= 256, {
  error: (iss) =>
    `${quote(iss.input)} is not usable as a group or claim name${metaHint(String(iss.input))}; use letters, digits and . _ - : / @ only`,
});


// Small readers for the values kube-proxy's rules carry: addresses, ports, protocols, probabilities.
import type { RuleDetails, RuleOption } from '../model/types';
import { endpointString } from './chainNames';

/** Protocol numbers `iptables-nft -L` prints in the `prot` column, and the names kube-proxy uses. */
const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '132': 'sctp' };

/** `tcp`, `udp`, `sctp` from a `--protocol` value (`6` → `tcp`); undefined for `all` or none. */
export function normaliseProtocol(value: string | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const lower = value.toLowerCase();
  if (lower === 'all' || lower === '0' || lower === '') {
    return undefined;
  }
  return PROTOCOL_NUMBERS[lower] ?? lower;
}

/**
 * Service names `iptables -L` (without `-n`) prints for ports, from Debian's /etc/services: only the ones
 * Kubernetes services commonly use. An unknown name stays unknown rather than guessed.
 */
const PORT_NAMES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  smtp: 25,
  domain: 53,
  http: 80,
  kerberos: 88,
  pop3: 110,
  ntp: 123,
  imap2: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  'domain-s': 853,
  imaps: 993,
  pop3s: 995,
  'ms-sql-s': 1433,
  mysql: 3306,
  postgresql: 5432,
  'xmpp-client': 5222,
  amqp: 5672,
  redis: 6379,
  'http-alt': 8080,
  webcache: 8080,
  tproxy: 8081,
};

/** A port number from `80` or an `/etc/services` name as `-L` prints it; undefined for ranges or unknown names. */
export function portNumber(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  return PORT_NAMES[value.toLowerCase()];
}

/** An address without its host-length prefix: `10.0.0.1/32` → `10.0.0.1`; other prefixes are kept. */
export function plainAddress(value: string): string {
  if (value.endsWith('/32') && !value.includes(':')) {
    return value.slice(0, -3);
  }
  if (value.endsWith('/128')) {
    return value.slice(0, -4);
  }
  return value;
}

/** `10.0.0.1:80` → ip and port; `[fd00::1]:80` → `fd00::1` and 80; a bare address → its ip. */
export function splitHostPort(value: string): { ip: string; port?: number } {
  const bracketed = value.startsWith('[') ? /^\[([^\]]+)\](?::(\d+))?$/.exec(value) : null;
  if (bracketed !== null) {
    return { ip: bracketed[1], port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
  }
  const colon = value.lastIndexOf(':');
  if (colon > 0 && value.indexOf(':') === colon) {
    const port = value.slice(colon + 1);
    return { ip: value.slice(0, colon), port: /^\d+$/.test(port) ? Number(port) : undefined };
  }
  return { ip: value };
}

/** The first option of a name (and module, if given) that is not negated. */
export function findOption(options: readonly RuleOption[], name: string, module?: string): RuleOption | undefined {
  for (const option of options) {
    if (option.name === name && !option.negated && (module === undefined || option.module === module)) {
      return option;
    }
  }
  return undefined;
}

/** The destination address of a rule (host prefix removed), unless it is negated or "anywhere". */
export function destinationAddress(details: RuleDetails): string | undefined {
  const option = findOption(details.matches, '--destination');
  const value = option?.values[0];
  if (value === undefined || value === 'anywhere' || value === '0.0.0.0/0' || value === '::/0') {
    return undefined;
  }
  return plainAddress(value);
}

/** The destination port of a tcp/udp/sctp match. */
export function destinationPort(details: RuleDetails): number | undefined {
  const option = findOption(details.matches, '--dport') ?? findOption(details.matches, '--destination-port');
  return portNumber(option?.values[0]);
}

/** The protocol a rule matches (`-p tcp`, or `6` in `iptables-nft -L`). */
export function ruleProtocol(details: RuleDetails): string | undefined {
  return normaliseProtocol(findOption(details.matches, '--protocol')?.values[0]);
}

/** The options of the statistic match of a rule, if it has one. */
function statisticOptions(details: RuleDetails): RuleOption[] {
  return details.matches.filter((option) => option.module === 'statistic');
}

/**
 * The probability with which a rule's statistic match lets a packet through: `--probability p` in random
 * mode, 1/N for `--mode nth --every N`; 1 when the rule has no statistic match.
 */
export function ruleProbability(details: RuleDetails): number {
  const options = statisticOptions(details);
  if (options.length === 0) {
    return 1;
  }
  const probability = options.find((option) => option.name === '--probability' && !option.negated)?.values[0];
  if (probability !== undefined) {
    const p = Number(probability);
    return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 1;
  }
  const every = options.find((option) => option.name === '--every')?.values[0];
  if (every !== undefined && Number(every) > 0) {
    return 1 / Number(every);
  }
  return 1;
}

/** `-m recent --rcheck --seconds N`: the session-affinity timeout, when the rule is kube-proxy's affinity check. */
export function affinityCheckSeconds(details: RuleDetails): number | undefined {
  const recent = details.matches.filter((option) => option.module === 'recent');
  if (!recent.some((option) => option.name === '--rcheck' || option.name === '--update')) {
    return undefined;
  }
  const seconds = recent.find((option) => option.name === '--seconds')?.values[0];
  return seconds === undefined ? 0 : Number(seconds);
}

/** `ip:port` as kube-proxy writes an endpoint (IPv6 in brackets). */
export function formatEndpoint(ip: string, port: number | undefined): string {
  return port === undefined ? ip : endpointString(ip, port);
}

/**
 * An endpoint written `ip:port` (a DNAT destination, a comment's `-> ip:port`): its ip, port and address as
 * `formatEndpoint` writes it. The address is `value` itself when that is already how it would be written (a
 * large dump has 100,000 of them, and the rule text holding `value` is kept anyway).
 */
export function endpointAddress(value: string): { ip: string; port?: number; address: string } {
  // `ip:port` with a short port, the shape of nearly every endpoint, is read here without splitHostPort's
  // intermediate object and port string (a large dump has 100,000 endpoints); the rest goes through it.
  const last = value.lastIndexOf(':');
  const digits = value.length - last - 1;
  if (last > 0 && digits > 0 && digits <= 15 && value.indexOf(':') === last && value.charCodeAt(0) !== 91 /* [ */) {
    let port = 0;
    for (let i = last + 1; i < value.length; i++) {
      const digit = value.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) {
        port = -1;
        break;
      }
      port = port * 10 + digit;
    }
    if (port >= 0) {
      const ip = value.slice(0, last);
      const canonical = digits === 1 || value.charCodeAt(last + 1) !== 48; /* no leading 0 */
      return { ip, port, address: canonical ? value : formatEndpoint(ip, port) };
    }
  }
  const { ip, port } = splitHostPort(value);
  const colon = ip.length;
  const canonical =
    port !== undefined &&
    value.charCodeAt(colon) === 58 /* : */ &&
    !ip.includes(':') &&
    // `port` came from the digits after the colon: the text is the number's own spelling unless it has a leading zero.
    (value.length === colon + 2 || value[colon + 1] !== '0') &&
    value.length - colon - 1 <= 15;
  return { ip, port, address: canonical ? value : formatEndpoint(ip, port) };
}

/** A share as a percentage for people: 50%, 33.3%, 0.01%. */
export function percent(share: number): string {
  const value = share * 100;
  if (value === 0) {
    return '0%';
  }
  if (Math.abs(value - Math.round(value)) < 0.005) {
    return `${Math.round(value)}%`;
  }
  if (value < 0.1) {
    return `${value.toPrecision(2)}%`;
  }
  return `${value.toFixed(1)}%`;
}

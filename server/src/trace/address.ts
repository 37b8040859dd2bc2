// Address, CIDR, port and protocol questions the tracer asks of a rule's values, with ipaddr.js doing the
// address arithmetic. Each answer is true, false, or undefined for "cannot tell from the text" (a host name
// that `iptables -L` printed without `-n`, a non-contiguous netmask).
import * as ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Host names `iptables -L` (without `-n`) prints for well-known addresses. */
const LIST_NAMES: Record<string, string> = {
  anywhere: '0.0.0.0/0',
  localhost: '127.0.0.1',
  loopback: '127.0.0.0',
  'ip6-localhost': '::1',
  'ip6-loopback': '::1',
};

/** Parses a literal address (IPv4 dotted quad or IPv6); undefined for anything else. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    return ipaddr.IPv4.parse(bare);
  }
  if (ipaddr.IPv6.isValid(bare)) {
    const v6 = ipaddr.IPv6.parse(bare);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  return undefined;
}

/** True when `text` is a literal IPv4 or IPv6 address. */
export function isAddress(text: string): boolean {
  return parseAddress(text) !== undefined;
}

/** The canonical text of an address (`10.0.0.1`, `fd00::1`), or the input when it is not one. */
export function normaliseAddress(text: string): string {
  const address = parseAddress(text);
  return address ? address.toString() : text;
}

/**
 * A rule's address value as a network: `10.0.0.0/8`, `10.1.2.3` (a host), `10.0.0.0/255.0.0.0`, `fd00::/64`,
 * `loopback/8`. Undefined when the text is a host name or a mask ipaddr.js cannot turn into a prefix.
 */
export function parseNetwork(text: string): [Address, number] | undefined {
  const slash = text.indexOf('/');
  const hostText = slash >= 0 ? text.slice(0, slash) : text;
  const maskText = slash >= 0 ? text.slice(slash + 1) : undefined;
  const host = parseAddress(LIST_NAMES[hostText] ?? hostText);
  if (!host) {
    return undefined;
  }
  if (LIST_NAMES[hostText]?.includes('/') && maskText === undefined) {
    return ipaddr.parseCIDR(LIST_NAMES[hostText]) as [Address, number];
  }
  const bits = host.kind() === 'ipv4' ? 32 : 128;
  if (maskText === undefined) {
    return [host, bits];
  }
  if (/^\d+$/.test(maskText)) {
    const prefix = Number(maskText);
    return prefix <= bits ? [host, prefix] : undefined;
  }
  const mask = parseAddress(maskText);
  if (!mask || mask.kind() !== host.kind()) {
    return undefined;
  }
  const prefix = mask.prefixLengthFromSubnetMask();
  return prefix === null ? undefined : [host, prefix];
}

/** Whether `address` lies in the rule value `network`; undefined when the value is not understood. */
export function addressInNetwork(address: string, network: string): boolean | undefined {
  const ip = parseAddress(address);
  const net = parseNetwork(network);
  if (!ip || !net) {
    return undefined;
  }
  if (ip.kind() !== net[0].kind()) {
    return false;
  }
  return ip.match(net);
}

/** Loopback (127.0.0.0/8, ::1): always an address of the node. */
export function isLoopback(address: string): boolean {
  const ip = parseAddress(address);
  return ip !== undefined && ip.range() === 'loopback';
}

/** Whether `address` is one of `addresses` (compared as addresses, so `::ffff:10.0.0.1` equals `10.0.0.1`). */
export function sameAddressIn(address: string, addresses: readonly string[]): boolean {
  const ip = parseAddress(address);
  if (!ip) {
    return false;
  }
  return addresses.some((other) => {
    const o = parseAddress(other);
    return o !== undefined && o.kind() === ip.kind() && o.toString() === ip.toString();
  });
}

/** The address type iptables' addrtype match would give a non-local address: UNICAST, MULTICAST, BROADCAST … */
export function addressTypeOf(address: string): 'UNICAST' | 'MULTICAST' | 'BROADCAST' | 'UNSPEC' | undefined {
  const ip = parseAddress(address);
  if (!ip) {
    return undefined;
  }
  switch (ip.range()) {
    case 'multicast':
      return 'MULTICAST';
    case 'broadcast':
      return 'BROADCAST';
    case 'unspecified':
      return 'UNSPEC';
    default:
      return 'UNICAST';
  }
}

/** `10.0.0.1:80` or `[fd00::1]:80`; the address alone without a port. */
export function formatAddressPort(ip: string, port?: number): string {
  const v6 = parseAddress(ip)?.kind() === 'ipv6';
  if (port === undefined) {
    return ip;
  }
  return v6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Reads a NAT target's address: `10.0.0.1`, `10.0.0.1:80`, `10.0.0.1:80-90`, `10.0.0.1-10.0.0.9:80`,
 * `[fd00::1]:80`. Takes the first address and port of a range (and says so in `range`).
 */
export function parseNatAddress(text: string): { ip?: string; port?: number; range: boolean } | undefined {
  let hostPart = text;
  let portPart: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.+))?$/.exec(text);
  if (bracket) {
    hostPart = bracket[1];
    portPart = bracket[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [hostPart, portPart] = text.split(':');
  } else if (text.startsWith(':')) {
    hostPart = '';
    portPart = text.slice(1);
  }
  let range = false;
  let ip: string | undefined;
  if (hostPart) {
    const [first, last] = hostPart.split('-');
    if (!parseAddress(first)) {
      return undefined;
    }
    ip = normaliseAddress(first);
    range = last !== undefined && last !== first;
  }
  let port: number | undefined;
  if (portPart) {
    const [first, last] = portPart.split(/[-:]/);
    port = Number(first);
    if (!Number.isInteger(port)) {
      return undefined;
    }
    range ||= last !== undefined && last !== first;
  }
  return { ip, port, range };
}

/** Names `iptables -L` prints without `-n` for the ports kube-proxy, CNIs and common services use. */
const SERVICE_PORTS: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  http: 80,
  kerberos: 88,
  ntp: 123,
  snmp: 161,
  bgp: 179,
  ldap: 389,
  https: 443,
  'microsoft-ds': 445,
  isakmp: 500,
  syslog: 514,
  ldaps: 636,
  openvpn: 1194,
  nfs: 2049,
  mysql: 3306,
  'ipsec-nat-t': 4500,
  mdns: 5353,
  postgresql: 5432,
  amqp: 5672,
  x11: 6000,
  'http-alt': 8080,
  webcache: 8080,
};

/** A port or service name as a number; undefined for a name the tracer does not know. */
export function portNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  return SERVICE_PORTS[text.toLowerCase()];
}

/**
 * Whether `port` is in a port list value: `80`, `1000:2000`, `80,443,8000:8080` (multiport), `http`.
 * Undefined when a service name in it is unknown.
 */
export function portInList(port: number, list: string): boolean | undefined {
  let unknown = false;
  for (const item of list.split(',')) {
    const [lowText, highText] = item.split(':');
    const low = lowText === '' ? 0 : portNumber(lowText);
    const high = highText === undefined ? low : highText === '' ? 65535 : portNumber(highText);
    if (low === undefined || high === undefined) {
      unknown = true;
      continue;
    }
    if (port >= low && port <= high) {
      return true;
    }
  }
  return unknown ? undefined : false;
}

const PROTOCOL_NUMBERS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
  udplite: 136,
};

/** A protocol name or number as a number; 0 for `all`; undefined when unknown. */
export function protocolNumber(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'all') {
    return 0;
  }
  if (/^\d+$/.test(lower)) {
    return Number(lower);
  }
  return PROTOCOL_NUMBERS[lower];
}

/** Whether a packet's protocol is matched by a rule's `-p` value (`all`/`0` match everything). */
export function protocolMatches(packetProtocol: string, ruleProtocol: string): boolean | undefined {
  const rule = protocolNumber(ruleProtocol);
  const packet = protocolNumber(packetProtocol);
  if (rule === undefined || packet === undefined) {
    return ruleProtocol.toLowerCase() === packetProtocol.toLowerCase() ? true : undefined;
  }
  return rule === 0 || rule === packet;
}

/** `eth0` matches `eth0`; `cali+` matches every name starting with `cali`. */
export function interfaceMatches(name: string, pattern: string): boolean {
  if (pattern.endsWith('+')) {
    return name.startsWith(pattern.slice(0, -1));
  }
  return name === pattern;
}

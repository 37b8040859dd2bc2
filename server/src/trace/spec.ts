// The one-line packet description users type in the editor and on the command line:
// `10.100.200.79:80/tcp from 10.200.1.5`, `[fd00::10]:53/udp from node`, `10.96.0.1:443 from 1.2.3.4 external`.
import { isAddress, normaliseAddress, portNumber } from './address';
import type { PacketOrigin, TracePacket } from './types';

const ORIGINS: readonly PacketOrigin[] = ['pod', 'external', 'node'];

/** Splits `IP`, `IP:PORT`, `[IPv6]:PORT`, with an optional `/proto` suffix. */
export function parseEndpoint(text: string): { ip: string; port?: number; protocol?: string } | string {
  let rest = text.trim();
  let protocol: string | undefined;
  const slash = /\/([a-z][a-z0-9-]*)$/i.exec(rest);
  if (slash) {
    protocol = slash[1].toLowerCase();
    rest = rest.slice(0, slash.index);
  }
  let ip = rest;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\w+))?$/.exec(rest);
  if (bracket) {
    ip = bracket[1];
    portText = bracket[2];
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    [ip, portText] = rest.split(':');
  }
  if (!isAddress(ip)) {
    return `"${text}" is not an address (IPv4, IPv6, IP:PORT or [IPv6]:PORT)`;
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = portNumber(portText);
    if (port === undefined || port < 0 || port > 65535) {
      return `"${portText}" is not a port`;
    }
  }
  return { ip: normaliseAddress(ip), port, protocol };
}

/**
 * Reads `DST[:PORT][/PROTO] [from SRC[:PORT] | from pod|node|external] [pod|node|external] [in IFACE] [out IFACE]
 * [local NODE-IP,…]`.
 * Returns the packet, or a message saying what is wrong.
 */
export function parsePacketSpec(text: string): TracePacket | string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return 'Give a destination: IP:PORT[/PROTO] [from SRC]';
  }
  const dst = parseEndpoint(words[0]);
  if (typeof dst === 'string') {
    return dst;
  }
  const packet: TracePacket = { dst: dst.ip, dstPort: dst.port, protocol: dst.protocol };
  for (let i = 1; i < words.length; i++) {
    const word = words[i].toLowerCase();
    if ((ORIGINS as readonly string[]).includes(word)) {
      packet.from = word as PacketOrigin;
      continue;
    }
    if (word === 'from' && words[i + 1]) {
      const next = words[i + 1];
      i++;
      if ((ORIGINS as readonly string[]).includes(next.toLowerCase())) {
        packet.from = next.toLowerCase() as PacketOrigin;
        continue;
      }
      const src = parseEndpoint(next);
      if (typeof src === 'string') {
        return src;
      }
      packet.src = src.ip;
      packet.srcPort = src.port;
      continue;
    }
    if ((word === 'in' || word === 'out') && words[i + 1]) {
      if (word === 'in') {
        packet.inInterface = words[i + 1];
      } else {
        packet.outInterface = words[i + 1];
      }
      i++;
      continue;
    }
    if (word === 'local' && words[i + 1]) {
      const addresses = words[i + 1].split(',').filter(Boolean);
      const bad = addresses.find((a) => !isAddress(a));
      if (bad !== undefined) {
        return `"${bad}" is not an address (local takes the node's addresses, comma-separated)`;
      }
      packet.localAddresses = addresses.map(normaliseAddress);
      i++;
      continue;
    }
    return `Did not understand "${words[i]}": expected from SRC, pod, node, external, in IFACE, out IFACE or local IP,…`;
  }
  return packet;
}

/** The packet as one line, the way `parsePacketSpec` reads it. */
export function formatPacketSpec(packet: TracePacket): string {
  const dst =
    packet.dstPort === undefined
      ? packet.dst
      : packet.dst.includes(':')
        ? `[${packet.dst}]:${packet.dstPort}`
        : `${packet.dst}:${packet.dstPort}`;
  const parts = [`${dst}/${packet.protocol ?? 'tcp'}`];
  if (packet.src) {
    parts.push(
      'from',
      packet.srcPort === undefined
        ? packet.src
        : packet.src.includes(':')
          ? `[${packet.src}]:${packet.srcPort}`
          : `${packet.src}:${packet.srcPort}`,
    );
  }
  if (packet.from) {
    parts.push(packet.from);
  }
  if (packet.inInterface) {
    parts.push('in', packet.inInterface);
  }
  if (packet.outInterface) {
    parts.push('out', packet.outInterface);
  }
  if (packet.localAddresses?.length) {
    parts.push('local', packet.localAddresses.join(','));
  }
  return parts.join(' ');
}

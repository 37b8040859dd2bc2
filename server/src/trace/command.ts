// `iptables-lens trace DUMP --dst IP:PORT [...]`: the tracer from a terminal. The CLI entry calls
// `runTraceCommand` with the words after `trace`; file reading and output are passed in, so tests run it as is.
import { parseDump } from '../parse/index';
import { isAddress } from './address';
import { formatTrace } from './format';
import { parseEndpoint } from './spec';
import { tracePacket } from './tracer';
import type { PacketOrigin, TraceOptions, TracePacket } from './types';

export const TRACE_USAGE = `Usage: trace DUMP --dst IP[:PORT][/PROTO] [options]

Follows the first packet of a connection through the dump's nat and filter rules and prints every
outcome with its probability, whether it is masqueraded, and the rules of each path.

  --dst IP[:PORT][/PROTO]   destination (required), e.g. 10.100.200.79:80 or [fd00::1]:53/udp
  --proto PROTO             tcp (default), udp, sctp, icmp …
  --src IP[:PORT]           source address (unknown when left out: -s matches are then explored both ways)
  --from pod|external|node  where the packet starts: from a pod or another host (PREROUTING, default pod) or
                            from the node itself (OUTPUT)
  --in IFACE, --out IFACE   incoming / outgoing interface (unknown when left out)
  --local IP[,IP…]          the node's own addresses (for addrtype LOCAL and local delivery)
  --mark N                  the packet's mark on entry (default 0)
  --no-kube-jumps           do not assume kube-proxy's jumps from empty built-in chains
  --max-paths N             stop after N paths (default 16384)
  --brief                   outcomes and notes only, no paths
  --json                    the whole result as JSON
`;

interface ParsedArgs {
  file?: string;
  packet: Partial<TracePacket>;
  options: TraceOptions;
  json: boolean;
  brief: boolean;
}

function parseArgs(argv: readonly string[]): ParsedArgs | string {
  const parsed: ParsedArgs = { packet: {}, options: {}, json: false, brief: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string | undefined => {
      const eq = arg.indexOf('=');
      if (arg.startsWith('--') && eq > 0) {
        return arg.slice(eq + 1);
      }
      i++;
      return argv[i];
    };
    const name = arg.startsWith('--') && arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    switch (name) {
      case '--dst': {
        const v = value();
        const dst = v === undefined ? 'missing value' : parseEndpoint(v);
        if (typeof dst === 'string') {
          return `--dst: ${dst}`;
        }
        parsed.packet.dst = dst.ip;
        parsed.packet.dstPort = dst.port;
        parsed.packet.protocol ??= dst.protocol;
        break;
      }
      case '--src': {
        const v = value();
        const src = v === undefined ? 'missing value' : parseEndpoint(v);
        if (typeof src === 'string') {
          return `--src: ${src}`;
        }
        parsed.packet.src = src.ip;
        parsed.packet.srcPort = src.port;
        break;
      }
      case '--proto':
      case '--protocol':
      case '-p': {
        const v = value();
        if (!v) {
          return `${name}: missing value`;
        }
        parsed.packet.protocol = v.toLowerCase();
        break;
      }
      case '--from': {
        const v = value();
        if (v !== 'pod' && v !== 'node' && v !== 'external') {
          return `--from: expected pod, node or external, not "${v ?? ''}"`;
        }
        parsed.packet.from = v as PacketOrigin;
        break;
      }
      case '--in':
      case '--out': {
        const v = value();
        if (!v) {
          return `${name}: missing value`;
        }
        if (name === '--in') {
          parsed.packet.inInterface = v;
        } else {
          parsed.packet.outInterface = v;
        }
        break;
      }
      case '--local': {
        const v = value() ?? '';
        const addresses = v.split(',').filter(Boolean);
        const bad = addresses.find((a) => !isAddress(a));
        if (bad !== undefined || addresses.length === 0) {
          return `--local: "${bad ?? v}" is not an address`;
        }
        parsed.packet.localAddresses = [...(parsed.packet.localAddresses ?? []), ...addresses];
        break;
      }
      case '--mark': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
          return '--mark: expected a number (0x4000 or 16384)';
        }
        parsed.packet.mark = v;
        break;
      }
      case '--max-paths': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) {
          return '--max-paths: expected a positive whole number';
        }
        parsed.options.maxPaths = v;
        break;
      }
      case '--no-kube-jumps':
        parsed.options.implicitKubeJumps = false;
        break;
      case '--json':
        parsed.json = true;
        break;
      case '--brief':
        parsed.brief = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') {
          return `unknown option ${arg}`;
        }
        if (parsed.file !== undefined) {
          return `one dump file only (got ${parsed.file} and ${arg})`;
        }
        parsed.file = arg;
    }
  }
  return parsed;
}

/**
 * Runs `trace` with its arguments (the words after `trace`). Returns the exit code: 0 when traced, 1 when the
 * dump cannot be read, 2 for a usage error. `readFile` may throw; its message is reported.
 */
export function runTraceCommand(argv: readonly string[], readFile: (path: string) => string, write: (text: string) => void): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    write(TRACE_USAGE);
    return 0;
  }
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    write(`trace: ${parsed}\n\n${TRACE_USAGE}`);
    return 2;
  }
  if (!parsed.file) {
    write(`trace: give the dump file\n\n${TRACE_USAGE}`);
    return 2;
  }
  if (!parsed.packet.dst) {
    write(`trace: --dst is required\n\n${TRACE_USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = readFile(parsed.file);
  } catch (error) {
    write(`trace: cannot read ${parsed.file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const result = tracePacket(parseDump(text), parsed.packet as TracePacket, parsed.options);
  write(parsed.json ? JSON.stringify(result, null, 2) + '\n' : formatTrace(result, !parsed.brief));
  return 0;
}

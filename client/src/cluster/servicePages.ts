// The dump's service ports from the language server's `iptablesLens/services`, asked for in pages: a 20,000-service
// dump's are 50 MB of JSON, which in one answer held the server for most of a second (no navigation meanwhile) and
// made the extension host read it in one piece. No vscode: the protocol tests drive it against the real server.
import type { DumpServicePort } from '../../../server/src/kube/types';

/** What the server answers; `total` and `version` are missing from a server that answers everything at once. */
export interface ServicesPage {
  services: DumpServicePort[];
  total?: number;
  version?: number;
}

/** Sends `iptablesLens/services` with these params. */
export type ServicesSender = (params: { uri: string; offset: number; limit: number }) => Promise<ServicesPage>;

/** Service ports per page: about 5 MB of JSON for kube-proxy's ports with 5 endpoints. */
export const SERVICES_PAGE = 2_000;

/**
 * Every service port of the dump `uri`, page after page. Pages of two versions of the document (edited meanwhile)
 * do not fit together: the reading starts again, at most three times, and then asks for them all at once.
 */
export async function fetchServicePorts(send: ServicesSender, uri: string, pageSize = SERVICES_PAGE): Promise<DumpServicePort[]> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const ports: DumpServicePort[] = [];
    let version: number | undefined;
    for (;;) {
      const page = await send({ uri, offset: ports.length, limit: pageSize });
      if (page.total === undefined) {
        return page.services; // a server without pages answered them all
      }
      if (version !== undefined && page.version !== version) {
        break;
      }
      version = page.version;
      for (const port of page.services) {
        ports.push(port);
      }
      if (page.services.length === 0 || ports.length >= page.total) {
        return ports;
      }
    }
  }
  return (await send({ uri, offset: 0, limit: Number.MAX_SAFE_INTEGER })).services;
}

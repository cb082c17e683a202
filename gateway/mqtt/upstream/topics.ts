/**
 * The upstream topic layout, one place for the bridge, the request handler and the peers.
 * Every topic sits under `<prefix>/<site>/<gateway>/`, so one upstream broker serves many sites
 * and gateways, and its ACLs can give each gateway its own subtree.
 *
 *   <base>/status              retained birth `{"state":"online",…}`; last will `{"state":"offline"}`
 *   <base>/journal/<type>      every journal entry, QoS 1, JSON with the entry's `seq` (upstream
 *                              drops duplicates by gateway + seq); PII-free payloads only
 *   <base>/request             requests from upstream to this gateway (typed, with a transaction id)
 *   <base>/response            the gateway's ok/error reply to each request, by transaction id
 *   <base>/report/daily        the daily report (and the zero report on a day without events)
 *
 * Peers: a gateway reads `<prefix>/<site>/+/journal/decision` to learn the passes made at the
 * other gateways of its site (anti-passback and household quotas across gates).
 */
export interface UpstreamTopicBase {
  prefix: string;
  siteId: string;
  gatewayId: string;
}

export function gatewayBase({ prefix, siteId, gatewayId }: UpstreamTopicBase): string {
  return `${prefix}/${siteId}/${gatewayId}`;
}

export const upstreamTopics = {
  status: (b: UpstreamTopicBase) => `${gatewayBase(b)}/status`,
  journal: (b: UpstreamTopicBase, type: string) => `${gatewayBase(b)}/journal/${type}`,
  request: (b: UpstreamTopicBase) => `${gatewayBase(b)}/request`,
  response: (b: UpstreamTopicBase) => `${gatewayBase(b)}/response`,
  dailyReport: (b: UpstreamTopicBase) => `${gatewayBase(b)}/report/daily`,
  /** Every gateway's decisions at the site, this one's included (the reader skips its own). */
  siteDecisions: (b: Omit<UpstreamTopicBase, 'gatewayId'>) => `${b.prefix}/${b.siteId}/+/journal/decision`,
};

import { faults, okReply, type SoapCall, type SoapReply } from './soap.js';

/**
 * Analytics (ver20): advertised because the mask, temperature and plate events come from its
 * rules and modules; only its capabilities are served (rules are fixed in the simulator).
 */
export function handleAnalytics(call: SoapCall): SoapReply {
  if (call.action !== 'GetServiceCapabilities') throw faults.actionNotSupported(call.action);
  return okReply(
    '<tan:GetServiceCapabilitiesResponse><tan:Capabilities RuleSupport="true" AnalyticsModuleSupport="true"' +
      ' CellBasedSceneDescriptionSupported="false"/></tan:GetServiceCapabilitiesResponse>',
  );
}

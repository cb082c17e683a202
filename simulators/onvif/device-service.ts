import { eventCapabilitiesXml } from './event-service.js';
import { type CameraIdentity, SERVICE_PATHS, scopesOf } from './identity.js';
import { faults, okReply, type SoapCall, type SoapReply } from './soap.js';
import { child, escapeXml, NS, text } from './xml.js';

export interface DeviceServiceOptions {
  identity: CameraIdentity;
  /** The camera's clock (epoch ms): real time plus the configured skew. */
  cameraNow(): number;
  maxPullPoints: number;
}

const DEVICE_CAPABILITIES =
  '<tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"/>' +
  '<tds:Security UsernameToken="true" HttpDigest="false" TLS1.2="false"/>' +
  '<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false"' +
  ' SystemLogging="false" FirmwareUpgrade="false"/></tds:Capabilities>';

/** The services GetServices lists, with their capabilities (IncludeCapability). */
const SERVICES: readonly {
  namespace: string;
  path: string;
  capabilities: (maxPullPoints: number) => string;
}[] = [
  {
    namespace: NS.tds,
    path: SERVICE_PATHS.device,
    capabilities: () => DEVICE_CAPABILITIES,
  },
  {
    namespace: NS.trt,
    path: SERVICE_PATHS.media,
    capabilities: () =>
      '<trt:Capabilities SnapshotUri="false" Rotation="false"><trt:ProfileCapabilities MaximumNumberOfProfiles="1"/>' +
      '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>',
  },
  {
    namespace: NS.tev,
    path: SERVICE_PATHS.events,
    capabilities: (maxPullPoints: number) => eventCapabilitiesXml(maxPullPoints),
  },
  {
    namespace: NS.tan,
    path: SERVICE_PATHS.analytics,
    capabilities: () => '<tan:Capabilities RuleSupport="true" AnalyticsModuleSupport="true"/>',
  },
];

/**
 * The device service (protocols.md §5.3): the clock, identity, capabilities, services and
 * scopes. Authentication happens before a call gets here (onvif-camera.ts); only
 * GetSystemDateAndTime is answered without it.
 */
export class DeviceService {
  constructor(private readonly options: DeviceServiceOptions) {}

  handle(call: SoapCall): SoapReply {
    const id = this.options.identity;
    switch (call.action) {
      case 'GetSystemDateAndTime':
        return okReply(systemDateAndTime(this.options.cameraNow()));
      case 'GetDeviceInformation':
        return okReply(
          '<tds:GetDeviceInformationResponse>' +
            `<tds:Manufacturer>${escapeXml(id.manufacturer)}</tds:Manufacturer>` +
            `<tds:Model>${escapeXml(id.model)}</tds:Model>` +
            `<tds:FirmwareVersion>${escapeXml(id.firmwareVersion)}</tds:FirmwareVersion>` +
            `<tds:SerialNumber>${escapeXml(id.serialNumber)}</tds:SerialNumber>` +
            `<tds:HardwareId>${escapeXml(id.hardwareId)}</tds:HardwareId>` +
            '</tds:GetDeviceInformationResponse>',
        );
      case 'GetCapabilities':
        return okReply(capabilities(call));
      case 'GetServices': {
        const include = text(child(call.payload, 'IncludeCapability'))?.trim();
        return okReply(services(call.baseUrl, include === 'true', this.options.maxPullPoints));
      }
      case 'GetServiceCapabilities':
        return okReply(
          `<tds:GetServiceCapabilitiesResponse>${DEVICE_CAPABILITIES}</tds:GetServiceCapabilitiesResponse>`,
        );
      case 'GetScopes':
        return okReply(
          `<tds:GetScopesResponse>${scopesOf(id)
            .map(
              (scope) =>
                `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${escapeXml(scope)}</tt:ScopeItem></tds:Scopes>`,
            )
            .join('')}</tds:GetScopesResponse>`,
        );
      case 'GetHostname':
        return okReply(
          '<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>' +
            `<tt:Name>${escapeXml(id.name)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
        );
      default:
        throw faults.actionNotSupported(call.action);
    }
  }
}

/** UTC and China local time (CST-8), split into the Date/Time parts clients read. */
function systemDateAndTime(now: number): string {
  const parts = (epoch: number) => {
    const d = new Date(epoch);
    return (
      `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
      `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
      `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month>` +
      `<tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
    );
  };
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    '<tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone>' +
    `<tt:UTCDateTime>${parts(now)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${parts(now + 8 * 3_600_000)}</tt:LocalDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

function services(baseUrl: string, includeCapability: boolean, maxPullPoints: number): string {
  const entries = SERVICES.map(
    (s) =>
      `<tds:Service><tds:Namespace>${s.namespace}</tds:Namespace>` +
      `<tds:XAddr>${escapeXml(baseUrl + s.path)}</tds:XAddr>` +
      (includeCapability ? `<tds:Capabilities>${s.capabilities(maxPullPoints)}</tds:Capabilities>` : '') +
      '<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>',
  );
  return `<tds:GetServicesResponse>${entries.join('')}</tds:GetServicesResponse>`;
}

/** Legacy GetCapabilities; a Category the camera lacks (PTZ, Imaging) is ter:NoSuchService. */
function capabilities(call: SoapCall): string {
  const category = text(child(call.payload, 'Category'))?.trim() || 'All';
  const xaddr = (path: string) => `<tt:XAddr>${escapeXml(call.baseUrl + path)}</tt:XAddr>`;
  const parts: Record<string, string> = {
    Analytics:
      `<tt:Analytics>${xaddr(SERVICE_PATHS.analytics)}` +
      '<tt:RuleSupport>true</tt:RuleSupport><tt:AnalyticsModuleSupport>true</tt:AnalyticsModuleSupport></tt:Analytics>',
    Device: `<tt:Device>${xaddr(SERVICE_PATHS.device)}</tt:Device>`,
    Events:
      `<tt:Events>${xaddr(SERVICE_PATHS.events)}<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
      '<tt:WSPullPointSupport>true</tt:WSPullPointSupport>' +
      '<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport>' +
      '</tt:Events>',
    Media:
      `<tt:Media>${xaddr(SERVICE_PATHS.media)}<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>',
  };
  const wanted = category === 'All' ? Object.values(parts) : [parts[category]];
  if (wanted[0] === undefined) throw faults.noSuchService(category);
  return `<tds:GetCapabilitiesResponse><tds:Capabilities>${wanted.join('')}</tds:Capabilities></tds:GetCapabilitiesResponse>`;
}

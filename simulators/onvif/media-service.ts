import { type CameraKind, profileToken, VIDEO_SOURCE_TOKEN } from './identity.js';
import { faults, okReply, type SoapCall, type SoapReply } from './soap.js';
import { child, escapeXml, text } from './xml.js';

/** Sensor sizes: a typical uncooled thermal core, and a plate camera's 1080p. */
const RESOLUTION: Record<CameraKind, { width: number; height: number }> = {
  thermal: { width: 384, height: 288 },
  plate: { width: 1920, height: 1080 },
};

/**
 * Media (ver10), just what agsh/onvif's `connect()` reads: one video source and one profile
 * whose video source configuration points at it and which has a video encoder configuration
 * (without both, `getActiveSources()` throws "Unrecognized configuration"). No streams are
 * served: the gateway only takes events from the camera.
 */
export class MediaService {
  constructor(private readonly kind: CameraKind) {}

  handle(call: SoapCall): SoapReply {
    switch (call.action) {
      case 'GetProfiles':
        return okReply(`<trt:GetProfilesResponse>${this.profile('trt:Profiles')}</trt:GetProfilesResponse>`);
      case 'GetProfile': {
        const token = text(child(call.payload, 'ProfileToken'))?.trim();
        if (token !== profileToken(this.kind)) throw faults.invalidArgVal(`no profile "${token ?? ''}"`);
        return okReply(`<trt:GetProfileResponse>${this.profile('trt:Profile')}</trt:GetProfileResponse>`);
      }
      case 'GetVideoSources': {
        const { width, height } = RESOLUTION[this.kind];
        return okReply(
          `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}">` +
            `<tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>${width}</tt:Width>` +
            `<tt:Height>${height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
        );
      }
      case 'GetVideoSourceConfigurations':
        return okReply(
          `<trt:GetVideoSourceConfigurationsResponse>${this.sourceConfiguration('trt:Configurations')}` +
            '</trt:GetVideoSourceConfigurationsResponse>',
        );
      case 'GetServiceCapabilities':
        return okReply(
          '<trt:GetServiceCapabilitiesResponse><trt:Capabilities SnapshotUri="false" Rotation="false">' +
            '<trt:ProfileCapabilities MaximumNumberOfProfiles="1"/>' +
            '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/>' +
            '</trt:Capabilities></trt:GetServiceCapabilitiesResponse>',
        );
      default:
        throw faults.actionNotSupported(call.action);
    }
  }

  private profile(element: string): string {
    const token = profileToken(this.kind);
    const { width, height } = RESOLUTION[this.kind];
    return (
      `<${element} token="${token}" fixed="true"><tt:Name>${escapeXml(token)}</tt:Name>` +
      this.sourceConfiguration('tt:VideoSourceConfiguration') +
      '<tt:VideoEncoderConfiguration token="VideoEncoderConfig_1"><tt:Name>VideoEncoderConfig_1</tt:Name>' +
      '<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>' +
      `<tt:Resolution><tt:Width>${width}</tt:Width><tt:Height>${height}</tt:Height></tt:Resolution>` +
      '<tt:Quality>4</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>' +
      '<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl>' +
      '<tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>' +
      '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
      '<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
      '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
      `</${element}>`
    );
  }

  private sourceConfiguration(element: string): string {
    const { width, height } = RESOLUTION[this.kind];
    return (
      `<${element} token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig_1</tt:Name>` +
      `<tt:UseCount>1</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
      `<tt:Bounds x="0" y="0" width="${width}" height="${height}"/></${element}>`
    );
  }
}

import type { Clock } from '../../drivers/shared/clock.js';
import { SERVICE_PATHS } from './identity.js';
import { type EventMessage, notificationXml } from './notifications.js';
import type { PullPoint, PullPointHub } from './pull-points.js';
import { faults, okReply, type SoapCall, SoapFault, type SoapReply } from './soap.js';
import { type TopicName, topicFilter, topicSetXml } from './topics.js';
import { attribute, CONCRETE_SET, child, escapeXml, text } from './xml.js';
import { isoTime, parseDuration, parseTerminationTime } from './xs-time.js';

/** The longest a PullMessages is held (ONVIF requires at least one minute); longer Timeouts are capped. */
export const MAX_HOLD_MS = 60_000;
/** Most messages in one PullMessagesResponse; a larger MessageLimit gets this many (Core allows it). */
export const MAX_MESSAGE_LIMIT = 100;
const DEFAULT_TERMINATION_MS = 60_000;
const MAX_TERMINATION_MS = 24 * 3_600_000;

/** The event service's capabilities element (GetServiceCapabilities, and GetServices on the device). */
export function eventCapabilitiesXml(maxPullPoints: number): string {
  return (
    '<tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true"' +
    ' WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0"' +
    ` MaxPullPoints="${maxPullPoints}" PersistentNotificationStorage="false"/>`
  );
}

export interface EventServiceOptions {
  hub: PullPointHub;
  clock: Clock;
  /** How far the camera's clock runs ahead of the simulator's (ms). */
  skewMs(): number;
  /** The topics this camera publishes (GetEventProperties). */
  topics(): readonly TopicName[];
  /** Property states a new subscription and a SetSynchronizationPoint receive (`Initialized`). */
  initialMessages(utcTime: string): EventMessage[];
  /** A hostile reply to serve instead of the next PullMessages, if one is armed (faults.ts). */
  takeHostileReply(): SoapReply | undefined;
}

/**
 * The event service (protocols.md §5.5) at `/onvif/event_service` and the pull-point
 * subscriptions at `/onvif/subscription/<id>`. Termination times may be relative (`PT60S`)
 * or absolute (camera clock). An unknown or expired subscription is
 * `wsrf-rw:ResourceUnknownFault` (HTTP 400) for every call on it.
 */
export class EventService {
  constructor(private readonly options: EventServiceOptions) {}

  private get cameraNow(): number {
    return this.options.clock.now() + this.options.skewMs();
  }

  handleService(call: SoapCall): SoapReply {
    switch (call.action) {
      case 'GetEventProperties':
        return okReply(this.eventProperties());
      case 'GetServiceCapabilities':
        return okReply(
          `<tev:GetServiceCapabilitiesResponse>${eventCapabilitiesXml(this.options.hub.capacity)}</tev:GetServiceCapabilitiesResponse>`,
        );
      case 'CreatePullPointSubscription':
        return okReply(this.create(call));
      default:
        throw faults.actionNotSupported(call.action);
    }
  }

  async handleSubscription(call: SoapCall, id: string): Promise<SoapReply> {
    const point = this.options.hub.get(id);
    if (!point) throw faults.resourceUnknown();
    switch (call.action) {
      case 'PullMessages':
        return this.pull(call, point);
      case 'Renew': {
        const value = text(child(call.payload, 'TerminationTime')) ?? '';
        const until = this.terminationFrom(value, 'wsntw:UnacceptableTerminationTimeFault');
        this.options.hub.setTermination(point, until);
        return okReply(
          `<wsnt:RenewResponse><wsnt:TerminationTime>${this.cameraTime(until)}</wsnt:TerminationTime>` +
            `<wsnt:CurrentTime>${isoTime(this.cameraNow)}</wsnt:CurrentTime></wsnt:RenewResponse>`,
        );
      }
      case 'Unsubscribe':
        this.options.hub.remove(point.id);
        return okReply('<wsnt:UnsubscribeResponse/>');
      case 'SetSynchronizationPoint':
        point.push(this.options.initialMessages(isoTime(this.cameraNow)));
        return okReply('<tev:SetSynchronizationPointResponse/>');
      default:
        throw faults.actionNotSupported(call.action);
    }
  }

  private eventProperties(): string {
    return (
      '<tev:GetEventPropertiesResponse>' +
      '<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>' +
      '<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>' +
      topicSetXml(this.options.topics()) +
      `<wsnt:TopicExpressionDialect>${CONCRETE_SET}</wsnt:TopicExpressionDialect>` +
      '<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsnt/t-1/TopicExpression/ConcreteSet</wsnt:TopicExpressionDialect>' +
      '<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>' +
      '<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>' +
      '</tev:GetEventPropertiesResponse>'
    );
  }

  private create(call: SoapCall): string {
    const expression = child(child(call.payload, 'Filter'), 'TopicExpression');
    const filter = topicFilter(text(expression)?.trim(), attribute(expression, 'Dialect'));
    const initial = text(child(call.payload, 'InitialTerminationTime'))?.trim();
    const until =
      initial === undefined || initial === ''
        ? this.options.clock.now() + DEFAULT_TERMINATION_MS
        : this.terminationFrom(initial, 'wsntw:UnacceptableInitialTerminationTimeFault');
    if (this.options.hub.full)
      throw new SoapFault('Receiver', 'wsntw:SubscribeCreationFailedFault', 'Too many pull points');
    const point = this.options.hub.create(until, filter);
    point.push(this.options.initialMessages(isoTime(this.cameraNow)));
    return (
      '<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>' +
      `<wsa5:Address>${escapeXml(this.address(call, point))}</wsa5:Address></tev:SubscriptionReference>` +
      `<wsnt:CurrentTime>${isoTime(this.cameraNow)}</wsnt:CurrentTime>` +
      `<wsnt:TerminationTime>${this.cameraTime(until)}</wsnt:TerminationTime>` +
      '</tev:CreatePullPointSubscriptionResponse>'
    );
  }

  private async pull(call: SoapCall, point: PullPoint): Promise<SoapReply> {
    const timeoutMs = parseDuration(text(child(call.payload, 'Timeout')) ?? '');
    if (timeoutMs === undefined) throw faults.invalidArgVal('Timeout must be an xs:duration');
    const limitText = text(child(call.payload, 'MessageLimit'))?.trim() ?? '';
    if (!/^\d+$/.test(limitText)) throw faults.invalidArgVal('MessageLimit must be a non-negative integer');
    const limit = Math.min(MAX_MESSAGE_LIMIT, Math.max(1, Number(limitText)));
    const hostile = this.options.takeHostileReply();
    if (hostile) return hostile;
    const holdMs = Math.min(timeoutMs, MAX_HOLD_MS);
    const { hub, clock } = this.options;
    hub.extend(point, clock.now() + holdMs + timeoutMs);
    const messages = await point.pull(limit, holdMs, call.signal);
    if (point.closed) throw faults.resourceUnknown();
    hub.extend(point, clock.now() + timeoutMs);
    const address = this.address(call, point);
    return okReply(
      `<tev:PullMessagesResponse><tev:CurrentTime>${isoTime(this.cameraNow)}</tev:CurrentTime>` +
        `<tev:TerminationTime>${this.cameraTime(point.terminationMs)}</tev:TerminationTime>` +
        messages.map((m) => notificationXml(m, address)).join('') +
        '</tev:PullMessagesResponse>',
    );
  }

  /** A termination time from a request, on the simulator's clock; the named fault if unacceptable. */
  private terminationFrom(value: string, fault: string): number {
    const cameraUntil = parseTerminationTime(value, this.cameraNow);
    if (
      cameraUntil === undefined ||
      cameraUntil <= this.cameraNow ||
      cameraUntil > this.cameraNow + MAX_TERMINATION_MS
    )
      throw new SoapFault('Sender', fault, `Unacceptable termination time "${value}"`);
    return cameraUntil - this.options.skewMs();
  }

  private cameraTime(simulatorMs: number): string {
    return isoTime(simulatorMs + this.options.skewMs());
  }

  private address(call: SoapCall, point: PullPoint): string {
    return `${call.baseUrl}${SERVICE_PATHS.subscription}/${point.id}`;
  }
}

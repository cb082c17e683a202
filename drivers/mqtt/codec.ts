import type { DeviceCodec } from './device-events.js';
import { type JsonSettings, jsonCodec } from './json-codec.js';
import { type TasmotaSettings, tasmotaCodec } from './tasmota-codec.js';
import { type Zigbee2MqttSettings, zigbee2mqttCodec } from './zigbee2mqtt-codec.js';

/** The three conventions a device may speak, with what each needs to know of its topics. */
export type CodecSettings =
  | ({ convention: 'zigbee2mqtt' } & Zigbee2MqttSettings)
  | ({ convention: 'tasmota' } & TasmotaSettings)
  | ({ convention: 'json' } & JsonSettings);

export type MqttConvention = CodecSettings['convention'];

export function createCodec(settings: CodecSettings): DeviceCodec {
  switch (settings.convention) {
    case 'zigbee2mqtt':
      return zigbee2mqttCodec(settings);
    case 'tasmota':
      return tasmotaCodec(settings);
    case 'json':
      return jsonCodec(settings);
  }
}

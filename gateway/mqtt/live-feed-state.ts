/**
 * The retained part of the local tree as a fold over journal entries: mode, fire, each device's
 * last state, each lane's gate state and today's counters. `apply` is the only way it changes,
 * live and on rebuild alike, and it answers which retained topics an entry changed, so the feed
 * publishes exactly those.
 */
import type { SiteMode } from '../domain/model.js';
import type { JournalEntry, JournalEventType } from '../journal/events.js';
import type { AnyJournalEntry, Journal } from '../journal/journal.js';
import { MODE_LABELS } from '../reports/labels.js';
import { DailyCounters } from './live-feed-counters.js';
import { GateStates } from './live-feed-gates.js';
import type { LiveLayout } from './live-feed-layout.js';
import { technicalText } from './live-feed-privacy.js';
import {
  type DeviceStateMessage,
  type LocalMessage,
  type LocalTopics,
  localMessage,
} from './local-topics.js';

/** A retained topic, by what it shows. */
export type StateKey = 'mode' | 'fire' | 'counters' | `device:${string}` | `gate:${string}`;

/** Entry types read from the whole journal on rebuild; decisions are read for today only. */
const CONTROL_TYPES = ['mode', 'fire', 'device', 'alarm', 'alarm_ack'] as const satisfies JournalEventType[];

export class LiveState {
  private mode: { mode: SiteMode; seq: number | null; at: number };
  private fire: { active: boolean; seq: number | null; at: number; device?: string };
  private readonly devices = new Map<string, DeviceStateMessage>();
  private readonly gates: GateStates;
  private readonly counters: DailyCounters;

  constructor(
    private readonly layout: LiveLayout,
    now: number,
  ) {
    this.mode = { mode: layout.initialMode, seq: null, at: now };
    this.fire = { active: false, seq: null, at: now };
    for (const device of layout.devices.values()) {
      const lane = device.lane === undefined ? undefined : layout.lanes.get(device.lane);
      this.devices.set(device.id, {
        seq: null,
        at: now,
        device: device.id,
        state: 'unknown',
        ...(lane ? { gate: lane.gate, lane: lane.id } : {}),
      });
    }
    this.gates = new GateStates(layout);
    this.counters = new DailyCounters(layout.timezone, this.gates.laneIds(), now);
  }

  /**
   * Folds in what the journal holds up to `throughSeq`: every control entry, and today's
   * decisions (counters, last pass, releases still running).
   */
  rebuild(journal: Pick<Journal, 'iterate' | 'iterateRange'>, throughSeq: number, now: number): void {
    for (const entry of journal.iterate(0, CONTROL_TYPES)) {
      if (entry.seq > throughSeq) break;
      this.apply(entry, now);
    }
    const { from } = this.counters.window();
    const today = journal.iterateRange({ fromAt: from, toAt: Number.MAX_SAFE_INTEGER, types: ['decision'] });
    for (const entry of today) if (entry.seq <= throughSeq) this.apply(entry, now);
  }

  /** Folds in one entry; returns the retained topics it changed. */
  apply(entry: AnyJournalEntry, now: number): Set<StateKey> {
    const changed = new Set<StateKey>();
    switch (entry.type) {
      case 'decision': {
        const lane = this.gates.decision(entry, now);
        if (lane !== undefined) changed.add(`gate:${lane}`);
        if (this.counters.add(entry)) changed.add('counters');
        break;
      }
      case 'mode':
        this.mode = { mode: entry.payload.to, seq: entry.seq, at: entry.at };
        changed.add('mode');
        break;
      case 'fire': {
        const { active, source } = entry.payload;
        this.fire = { active, seq: entry.seq, at: entry.at };
        if (this.layout.devices.has(source)) this.fire.device = source;
        changed.add('fire');
        for (const lane of this.gates.laneIds()) changed.add(`gate:${lane}`);
        break;
      }
      case 'device':
        for (const key of this.applyDevice(entry)) changed.add(key);
        break;
      case 'alarm': {
        const lane = this.gates.alarm(entry);
        if (lane !== undefined) changed.add(`gate:${lane}`);
        break;
      }
      case 'alarm_ack':
        for (const lane of this.gates.acknowledged(entry.payload.alarmSeq)) changed.add(`gate:${lane}`);
        break;
      case 'reading':
      case 'operator':
      case 'passage':
        break;
    }
    return changed;
  }

  /** Time passed: releases that ended, and a new day's zero counters. */
  tick(now: number): Set<StateKey> {
    const changed = new Set<StateKey>();
    for (const lane of this.gates.expire(now)) changed.add(`gate:${lane}`);
    if (this.counters.rollTo(now)) changed.add('counters');
    return changed;
  }

  /** The next time `tick` has something to do. */
  nextDeadline(): number {
    const expiry = this.gates.nextExpiry();
    const roll = this.counters.nextRollAt;
    return expiry === undefined ? roll : Math.min(expiry, roll);
  }

  /** Every retained topic: what `start` publishes so a late client sees the present. */
  allKeys(): StateKey[] {
    return [
      'mode',
      'fire',
      'counters',
      ...[...this.devices.keys()].map((id) => `device:${id}` as const),
      ...this.gates.laneIds().map((id) => `gate:${id}` as const),
    ];
  }

  messages(keys: Iterable<StateKey>, topics: LocalTopics, now: number): LocalMessage[] {
    const out: LocalMessage[] = [];
    for (const key of keys) {
      if (key === 'mode') {
        const message = MODE_LABELS[this.mode.mode];
        out.push(localMessage('mode', topics.mode(), { ...this.mode, message }));
      } else if (key === 'fire') {
        out.push(localMessage('fire', topics.fire(), { ...this.fire }));
      } else if (key === 'counters') {
        out.push(localMessage('counters/daily', topics.dailyCounters(), this.counters.message(now)));
      } else if (key.startsWith('device:')) {
        out.push(...this.deviceMessages(key.slice('device:'.length), topics));
      } else {
        const laneId = key.slice('gate:'.length);
        const state = this.gates.message(laneId, now, this.fire.active, this.devicesDown(laneId));
        if (state !== undefined)
          out.push(localMessage('gate/+/+/state', topics.gateState(state.gate, laneId), state));
      }
    }
    return out;
  }

  private applyDevice(entry: JournalEntry<'device'>): StateKey[] {
    const { deviceId, laneId, state, detail } = entry.payload;
    const laneOf = laneId ?? this.layout.devices.get(deviceId)?.lane;
    const lane = laneOf === undefined ? undefined : this.layout.lanes.get(laneOf);
    const message: DeviceStateMessage = { seq: entry.seq, at: entry.at, device: deviceId, state };
    if (lane !== undefined) Object.assign(message, { gate: lane.gate, lane: lane.id });
    else if (laneOf !== undefined) message.lane = laneOf;
    if (detail !== undefined) message.detail = technicalText(detail);
    this.devices.set(deviceId, message);
    return lane === undefined ? [`device:${deviceId}`] : [`device:${deviceId}`, `gate:${lane.id}`];
  }

  private deviceMessages(id: string, topics: LocalTopics): LocalMessage[] {
    const device = this.devices.get(id);
    if (device === undefined) return [];
    const state = localMessage('device/+/state', topics.deviceState(id), device);
    // Availability says what is known: nothing until the device's first entry.
    if (device.state === 'unknown') return [state];
    const availability = device.state === 'online' ? 'online' : 'offline';
    return [
      localMessage('device/+/availability', topics.deviceAvailability(id), {
        state: availability,
        at: device.at,
      }),
      state,
    ];
  }

  private devicesDown(laneId: string): string[] {
    const down: string[] = [];
    for (const d of this.devices.values()) {
      if (d.lane === laneId && (d.state === 'offline' || d.state === 'error')) down.push(d.device);
    }
    return down;
  }
}

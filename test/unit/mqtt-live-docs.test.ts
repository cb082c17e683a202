import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LiveFeed } from '../../gateway/mqtt/live-feed.js';
import { LOCAL_TOPIC_PATTERNS, localTopicPattern } from '../../gateway/mqtt/local-topics.js';
import { MemoryBus } from '../../gateway/mqtt/memory-bus.js';
import { memoryLog } from '../helpers/idcard-lane.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { granted, KEY, refused, siteConfig, T0, tempJournal, vehicleGranted } from './mqtt-live-fixtures.js';

/** `### \`pass/<gate>/<lane>\`` → `pass/+/+`: the section's text and its JSON example. */
function documentedSections(): Map<string, { text: string; example: Record<string, unknown> }> {
  const doc = readFileSync(new URL('../../docs/mqtt.md', import.meta.url), 'utf8');
  const sections = new Map<string, { text: string; example: Record<string, unknown> }>();
  for (const m of doc.matchAll(/^### `([^`]+)`\n([\s\S]*?)(?=^##)/gm)) {
    const text = String(m[2]);
    const json = /```json\n([\s\S]*?)```/.exec(text)?.[1] ?? 'null';
    sections.set(String(m[1]).replace(/<[^>]+>/g, '+'), {
      text,
      example: JSON.parse(json) as Record<string, unknown>,
    });
  }
  return sections;
}

/** What the feed publishes for one entry of each kind: every pattern of the tree. */
async function publishedPayloads(): Promise<Map<string, Record<string, unknown>[]>> {
  const site = tempJournal();
  const bus = new MemoryBus();
  const clock = new ManualClock(T0);
  const feed = new LiveFeed({
    journal: site.journal,
    config: siteConfig(),
    bus,
    log: memoryLog().logger,
    pseudonymKey: KEY,
    now: clock.now,
    timers: clock,
    version: '0.1.0',
  });
  try {
    site.journal.append('mode', T0, { from: 'open', to: 'closed', operator: 'op', reason: 'r' });
    feed.start();
    site.journal.append('decision', T0, granted(T0));
    site.journal.append('decision', T0, vehicleGranted(T0));
    site.journal.append('decision', T0, refused(T0));
    site.journal.append('reading', T0, {
      gateId: 'north',
      laneId: 'north-ped-in',
      reading: { at: T0, celsius: 36.6, mask: true },
      source: 'idcard-1',
    });
    const alarm = site.journal.append('alarm', T0, {
      code: 'DOOR_HELD_OPEN',
      severity: 'warning',
      laneId: 'north-ped-in',
      detail: { device: 'idcard-1', heldMs: 30000 },
    });
    site.journal.append('alarm_ack', T0, { alarmSeq: alarm.seq, operator: 'op' });
    site.journal.append('device', T0, { deviceId: 'qr-1', state: 'offline', detail: 'serial line down' });
    site.journal.append('fire', T0, { active: true, source: 'idcard-1' });
    await feed.stop();
    const topics = feed.topics;
    const byPattern = new Map<string, Record<string, unknown>[]>();
    for (const m of bus.published) {
      const pattern = localTopicPattern(topics, m.topic);
      if (pattern === undefined) throw new Error(`published outside the tree: ${m.topic}`);
      byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), JSON.parse(m.payload.toString())]);
    }
    return byPattern;
  } finally {
    site.close();
  }
}

describe('docs/mqtt.md', () => {
  it('documents every topic of the tree with an example, and every field it publishes', async () => {
    const sections = documentedSections();
    expect([...sections.keys()].sort()).toEqual([...LOCAL_TOPIC_PATTERNS].sort());
    const published = await publishedPayloads();
    for (const pattern of LOCAL_TOPIC_PATTERNS) {
      const real = published.get(pattern) ?? [];
      expect(real.length, `nothing published on ${pattern}`).toBeGreaterThan(0);
      const { text, example } = sections.get(pattern) ?? { text: '', example: {} };
      const seen = new Set(real.flatMap((p) => Object.keys(p)));
      const invented = Object.keys(example).filter((k) => !seen.has(k));
      expect(invented, `${pattern}: documented but never published`).toEqual([]);
      const missing = [...seen].filter((k) => !text.includes(`"${k}"`) && !text.includes(`\`${k}\``));
      expect(missing, `${pattern}: published but not documented`).toEqual([]);
    }
  });
});

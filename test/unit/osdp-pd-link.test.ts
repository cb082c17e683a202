import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OsdpFrame } from '../../drivers/osdp/framing/frame.js';
import { type PdConfig, PdLink } from '../../drivers/osdp/link/pd-link.js';
import { encodeCommand } from '../../drivers/osdp/messages/commands.js';
import type { OsdpReply } from '../../drivers/osdp/messages/replies.js';
import { SecureChannel } from '../../drivers/osdp/secure/channel.js';
import { deriveScbk, SCBK_D } from '../../drivers/osdp/secure/keys.js';

const MASTER = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const CUID = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
const PDID: OsdpReply = {
  type: 'PDID',
  vendor: 0x0a0b0c,
  model: 1,
  version: 2,
  serial: 77,
  firmware: { major: 1, minor: 2, build: 3 },
};
const CAP_PLAIN: OsdpReply = { type: 'PDCAP', capabilities: [{ func: 8, compliance: 1, items: 0 }] };
const CAP_SECURE: OsdpReply = {
  type: 'PDCAP',
  capabilities: [
    { func: 8, compliance: 1, items: 0 },
    { func: 9, compliance: 1, items: 1 },
  ],
};

/** A frame carrying a connection command, as the control panel would build it. */
function commandFrame(link: PdLink): OsdpFrame {
  const next = link.connectionCommand();
  if (!next) throw new Error('no connection command: link is online');
  const { code, data } = encodeCommand(next.command);
  const frame: OsdpFrame = {
    address: 1,
    reply: false,
    sequence: link.takeSequence(code),
    useCrc: true,
    code,
    data,
  };
  return next.securityBlock ? { ...frame, securityBlock: next.securityBlock } : frame;
}

const reply = (frame: OsdpFrame, extra: Partial<OsdpFrame> = {}): OsdpFrame => ({
  ...frame,
  reply: true,
  code: 0,
  data: Buffer.alloc(0),
  ...extra,
});

/**
 * Plays a PD's side of the handshake with a real PD-side SecureChannel: answers each connection
 * command of the link until it is online or refused, and returns the steps it saw.
 */
function connect(link: PdLink, pd: { caps: OsdpReply; channel?: SecureChannel }): string[] {
  const steps: string[] = [];
  for (let i = 0; i < 12; i++) {
    const cmd = commandFrame(link);
    let answer: OsdpReply;
    let securityBlock: OsdpFrame['securityBlock'];
    switch (cmd.code) {
      case 0x61:
        answer = PDID;
        break;
      case 0x62:
        answer = pd.caps;
        break;
      case 0x76: {
        const channel = pd.channel as SecureChannel;
        try {
          const m = channel.onChlng(cmd.data, cmd.securityBlock?.data[0] ?? 0, randomBytes(8), CUID);
          answer = {
            type: 'CCRYPT',
            cuid: CUID,
            rndB: m.data.subarray(8, 16),
            cryptogram: m.data.subarray(16, 32),
          };
          securityBlock = m.securityBlock;
        } catch {
          answer = { type: 'NAK', code: 0x06 };
        }
        break;
      }
      case 0x77: {
        const m = (pd.channel as SecureChannel).onScrypt(cmd.data);
        answer = { type: 'RMAC_I', rmac: m.data };
        securityBlock = m.securityBlock;
        break;
      }
      default:
        throw new Error(`unexpected connection command 0x${cmd.code.toString(16)}`);
    }
    const step = link.accept(answer, reply(cmd, securityBlock ? { securityBlock } : {}));
    steps.push(`${answer.type}:${step.kind}`);
    if (step.kind === 'online' || step.kind === 'refused' || link.phase === 'install-key') return steps;
  }
  throw new Error(`did not settle: ${steps.join(' ')}`);
}

const config = (c: Partial<PdConfig>): PdConfig => ({ address: 1, name: 'pd-1', secure: 'off', ...c });

describe('PdLink connection sequence', () => {
  it('identifies, reads capabilities and goes online in plain text when the site allows it', () => {
    const link = new PdLink(config({}));
    expect(connect(link, { caps: CAP_PLAIN })).toEqual(['PDID:continue', 'PDCAP:online']);
    expect(link.identity?.firmware).toBe('1.2.3');
    expect(link.secureActive).toBe(false);
  });

  it('starts with sequence 0 and then counts 1, 2, 3, 1', () => {
    const link = new PdLink(config({}));
    const seen = [0x61, 0x60, 0x60, 0x60, 0x60].map((code) => link.takeSequence(code));
    expect(seen).toEqual([0, 1, 2, 3, 1]);
    link.reset();
    expect(link.takeSequence(0x61)).toBe(0);
  });

  it('refuses a PD without Secure Channel when the site requires it (no plain-text fallback)', () => {
    const link = new PdLink(config({ secure: 'required', masterKey: MASTER }));
    const steps = connect(link, { caps: CAP_PLAIN });
    expect(steps.at(-1)).toBe('PDCAP:refused');
    expect(link.phase).not.toBe('online');
  });

  it('connects under the Secure Channel with the key derived from the master key and the cUID', () => {
    const link = new PdLink(config({ secure: 'required', masterKey: MASTER }));
    const pd = new SecureChannel({ role: 'pd', scbk: deriveScbk(MASTER, CUID) });
    expect(connect(link, { caps: CAP_SECURE, channel: pd })).toEqual([
      'PDID:continue',
      'PDCAP:continue',
      'CCRYPT:continue',
      'RMAC_I:online',
    ]);
    expect(link.secureActive).toBe(true);
    expect(pd.established).toBe(true);
  });

  it('refuses a PD still on the install key unless provisioning is allowed', () => {
    const link = new PdLink(config({ secure: 'required', masterKey: MASTER }));
    const pd = new SecureChannel({ role: 'pd', installMode: true });
    expect(connect(link, { caps: CAP_SECURE, channel: pd }).at(-1)).toBe('NAK:refused');
  });

  it('provisions a PD on SCBK-D: KEYSET with its derived key, then reconnects with that key', () => {
    const link = new PdLink(config({ secure: 'required', masterKey: MASTER, installKey: true }));
    const pd = new SecureChannel({ role: 'pd', installMode: true, scbk: SCBK_D });
    // First attempt: our derived key is refused, so the link falls back to SCBK-D and goes on.
    const steps = connect(link, { caps: CAP_SECURE, channel: pd });
    expect(steps).toContain('RMAC_I:continue');
    expect(link.phase).toBe('install-key');
    const keyset = link.connectionCommand();
    expect(keyset?.command.type).toBe('KEYSET');
    if (keyset?.command.type !== 'KEYSET') return;
    expect(keyset.command.key).toEqual(deriveScbk(MASTER, CUID));
    const ack: OsdpFrame = {
      address: 1,
      reply: true,
      sequence: 1,
      useCrc: true,
      code: 0x40,
      data: Buffer.alloc(0),
    };
    expect(link.accept({ type: 'ACK' }, ack).kind).toBe('key-installed');
    // The PD now holds its own key: a fresh handshake with it succeeds without SCBK-D.
    const provisioned = new SecureChannel({ role: 'pd', scbk: keyset.command.key });
    expect(connect(link, { caps: CAP_SECURE, channel: provisioned }).at(-1)).toBe('RMAC_I:online');
  });
});

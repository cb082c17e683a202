/**
 * Static signed passes end to end: issued by the built CLI (QR on the terminal, PNG, JSON),
 * shown to the real gateway's serial scanner (socat pty pair, the QR scanner simulator). A
 * tampered, unsigned, revoked (while the gateway runs) or expired pass is refused; a valid one
 * lets its holder in. Neither the log nor the journal carries a pass's text or a name.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PassRig } from './passes-rig.js';

const rig = new PassRig();
afterEach(() => rig.dispose());

/** The same text with one base32 character changed, far from the end (in the signed body). */
function tamper(text: string): string {
  const i = 30;
  return text.slice(0, i) + (text.charAt(i) === 'A' ? 'B' : 'A') + text.slice(i + 1);
}

describe('static signed passes at the gateway', () => {
  it('refuses tampered, unsigned, revoked and expired passes and allows a valid one', async () => {
    await rig.setUp(['north-ped-in'], 'passes:\n  unsigned: refuse\n');
    const { site } = rig;
    const png = join(rig.dir, 'pass.png');
    const printed = site.run(['pass', 'issue', '--kind', 'household', '--holder', 'res-wang', '--png', png]);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/[█▀▄]{10}/); // the QR code itself, drawn on the terminal
    expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from('89504e470d0a1a0a', 'hex'));
    expect(statSync(png).mode & 0o777).toBe(0o600);
    const valid = /text \(QR version 7\): (GW1:[A-Z2-7]+)\n/.exec(printed.stdout)?.[1] ?? '';
    const toRevoke = rig.issue();
    const expired = rig.issue(['--from', '2020-01-01', '--until', '2020-01-02']);

    const verified = site.run(['pass', 'verify', valid]);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/^有效 VALID\n {2}pass: {5}gwp-[0-9a-f]{16}\n/);
    const refused = site.run(['pass', 'verify', tamper(valid)]);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^无效 INVALID: .*\(bad-signature\)/);

    await rig.start();
    const lane = 'north-ped-in';
    // Unverified content is not believed: a tampered pass is nobody's, hence also unknown.
    expect((await rig.show(lane, tamper(valid))).denies).toEqual(['UNKNOWN_CREDENTIAL', 'INVALID_SIGNATURE']);
    expect((await rig.show(lane, 'QR-LINA')).denies).toEqual(['INVALID_SIGNATURE']); // unsigned: refuse
    expect(site.run(['pass', 'revoke', toRevoke.passId, '--note', 'phone lost']).status).toBe(0);
    expect(await rig.show(lane, toRevoke.text)).toMatchObject({
      subject: 'res-wang',
      denies: ['CREDENTIAL_REVOKED'],
    });
    expect((await rig.show(lane, expired.text)).denies).toEqual(['CREDENTIAL_EXPIRED']);
    expect(await rig.show(lane, valid)).toMatchObject({ allow: true, subject: 'res-wang', denies: [] });

    const stopped = await rig.stop();
    expect(stopped?.status).toBe(0);
    const log = stopped?.stderr ?? '';
    expect(log).toMatch(/"reason":"revoked"/);
    expect(log).toMatch(/"reason":"expired"/);
    expect(log).toMatch(/"reason":"bad-signature"/);
    const operator = rig.payloads<{ action: string; operator: string; detail: Record<string, unknown> }>(
      'operator',
    );
    expect(operator.filter((o) => o.action === 'pass.issue')).toHaveLength(3);
    expect(operator.find((o) => o.action === 'pass.revoke')).toEqual(
      expect.objectContaining({ operator: 'test-op', detail: { pass: toRevoke.passId } }),
    );
    const journal = rig.journalText();
    for (const secret of [
      valid,
      toRevoke.text,
      expired.text,
      valid.slice(4, 40),
      'Wang Fang',
      '440524188001010014',
    ]) {
      expect(log).not.toContain(secret);
      expect(journal).not.toContain(secret);
    }
  });
});

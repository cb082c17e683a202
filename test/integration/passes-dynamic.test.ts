/**
 * Dynamic passes end to end: a pass issued by the built CLI with its phone secret, its screen
 * code computed as the phone would, shown to two lanes' serial scanners of the real gateway.
 * The code passes once; the same code at the other lane is a replay, also after the gateway
 * restarts (its memory is a fold of the journal); a code two steps old and the bare pass
 * without a code are refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBase32 } from '../../gateway/passes/base32.js';
import { screenText } from '../../gateway/passes/issue.js';
import { PassRig } from './passes-rig.js';

const rig = new PassRig();
afterEach(() => rig.dispose());

describe('dynamic pass codes at the gateway', () => {
  it('lets a code through once, refuses it at the other lane and after a restart, refuses stale codes', async () => {
    await rig.setUp(['north-ped-in', 'north-ped-out']);
    const pass = rig.issue(['--dynamic', '--valid-hours', '2']);
    expect(pass.secret).toMatch(/^[A-Z2-7]{52}$/);
    const { site } = rig;
    expect(site.run(['pass', 'issue', '--kind', 'staff', '--holder', 'res-wang']).stderr).toMatch(
      /a staff pass is for staff, and "res-wang" is a resident/,
    );
    expect(site.run(['pass', 'keys']).stdout).toMatch(
      /^[0-9a-f]{8} {2}\S+ → \(open\) {2}\* signs new passes$/m,
    );
    const secret = decodeBase32(pass.secret ?? '');
    await rig.start();

    const code = screenText(pass.text, secret, Date.now(), 30);
    expect(await rig.show('north-ped-in', code)).toMatchObject({ allow: true, subject: 'res-wang' });
    expect(await rig.show('north-ped-out', code)).toMatchObject({ allow: false, denies: ['REPLAYED_CODE'] });
    const stale = screenText(pass.text, secret, Date.now() - 60_000, 30);
    expect((await rig.show('north-ped-out', stale)).denies).toEqual(['INVALID_SIGNATURE']);
    expect((await rig.show('north-ped-out', pass.text)).denies).toEqual(['INVALID_SIGNATURE']);

    const first = await rig.stop();
    await rig.start();
    // The same code, still within its ±1 step, after the restart.
    expect((await rig.show('north-ped-out', code)).denies).toEqual(['REPLAYED_CODE']);
    const fresh = screenText(pass.text, secret, Date.now() + 30_000, 30);
    expect(await rig.show('north-ped-out', fresh)).toMatchObject({ allow: true, subject: 'res-wang' });

    const second = await rig.stop();
    const log = `${first?.stderr}${second?.stderr}`;
    expect(log).toMatch(/"reason":"code-wrong"/);
    expect(log).toMatch(/"reason":"code-missing"/);
    for (const s of [pass.text.slice(4, 40), pass.secret ?? '']) {
      expect(log).not.toContain(s);
      expect(rig.journalText()).not.toContain(s);
    }
  });
});

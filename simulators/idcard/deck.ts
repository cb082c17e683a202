import type { TextFields } from '../../drivers/idcard/text-block.js';
import { computeIdCheckChar } from '../../gateway/registry/id-number.js';

/**
 * Test identities for the simulated reader. Everything is synthetic: names say 测试 ("test"),
 * addresses and authorities are made up, ID numbers use real area codes and plausible birth
 * dates with made-up order codes and check characters computed by the registry's GB 11643 code
 * (except the one that must fail it). None is meant to belong to anyone.
 */
export interface TestIdentity {
  /** What this card is for, shown by the simulator's `deck` command. */
  label: string;
  fields: TextFields;
  /** The 8 bytes select card returns. Real SAMs may return zeros (protocols.md §2.4 sample). */
  serial: Buffer;
}

const ADDRESS = '测试省测试市测试区测试路1号';
const AUTHORITY = '测试市公安局测试分局';
/** No HK/Macau/Taiwan flag: the reserved area of a resident card is spaces. */
const RESIDENT_RESERVED = '';
/** Pass number (9), issue count (2), reserved (3), type 'J' at offset 248, reserved (3). */
const PERMIT_RESERVED = 'H00000000' + '01' + '   ' + 'J' + '   ';

function number17(first17: string): string {
  return first17 + computeIdCheckChar(first17);
}

function wrongCheck(first17: string): string {
  const right = computeIdCheckChar(first17);
  return first17 + (right === '0' ? '1' : '0');
}

function identity(
  label: string,
  serial: number,
  f: Omit<TextFields, 'address' | 'authority' | 'reserved'> & { reserved?: string },
): TestIdentity {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(serial, 4);
  return {
    label,
    fields: { address: ADDRESS, authority: AUTHORITY, reserved: RESIDENT_RESERVED, ...f },
    serial: bytes,
  };
}

export const TEST_DECK: readonly TestIdentity[] = [
  identity('visitor (register it to test an allowed visit)', 0x1001, {
    name: '测试访客甲',
    sexCode: '2',
    nationCode: '01',
    birthDate: '19900307',
    idNumber: number17('11010519900307262'),
    validFrom: '20200101',
    validUntil: '20400101',
  }),
  identity('visitor nobody registered', 0x1002, {
    name: '测试访客乙',
    sexCode: '1',
    nationCode: '03',
    birthDate: '19850612',
    idNumber: number17('31010419850612351'),
    validFrom: '20180601',
    validUntil: '20380601',
  }),
  identity('bad check digit', 0x1003, {
    name: '测试校验错',
    sexCode: '1',
    nationCode: '01',
    birthDate: '19920101',
    idNumber: wrongCheck('44030519920101476'),
    validFrom: '20210101',
    validUntil: '20410101',
  }),
  identity('expired card', 0x1004, {
    name: '测试过期卡',
    sexCode: '2',
    nationCode: '05',
    birthDate: '19700815',
    idNumber: number17('42010619700815233'),
    validFrom: '20100101',
    validUntil: '20200101',
  }),
  identity('long-term validity (长期)', 0x1005, {
    name: '测试长期卡',
    sexCode: '1',
    nationCode: '01',
    birthDate: '19450220',
    idNumber: number17('51010719450220117'),
    validFrom: '20150101',
    validUntil: '长期',
  }),
  identity('HK/Macau/Taiwan residence permit', 0x1006, {
    name: '测试港澳台',
    sexCode: '2',
    nationCode: '',
    birthDate: '19951111',
    idNumber: number17('81000019951111005'),
    validFrom: '20230101',
    validUntil: '20330101',
    reserved: PERMIT_RESERVED,
  }),
];

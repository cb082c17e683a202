import type { Message } from '../rules/reasons.js';
import { formatLocal } from '../util/site-time.js';
import type { PassBody } from './pass-codec.js';
import type { PassFault, PassVerdict } from './verify-pass.js';

/** What each verification fault means, for technicians (`gatewarden pass verify`) and operators. */
export const FAULT_MESSAGES: Readonly<Record<PassFault, Message>> = {
  malformed: { zh: '不是有效的通行码格式', en: 'not a well-formed pass' },
  'unknown-key': { zh: '签发密钥不在信任列表中', en: 'issuer key not in the key ring' },
  'key-outside-validity': { zh: '签发密钥不在有效期内', en: 'issuer key not trusted at this time' },
  'bad-signature': { zh: '签名无效（伪造或被篡改）', en: 'signature invalid (forged or tampered)' },
  revoked: { zh: '通行码已注销', en: 'pass revoked' },
  expired: { zh: '通行码已过期', en: 'pass expired' },
  'not-yet-valid': { zh: '通行码尚未生效', en: 'pass not valid yet' },
  'code-missing': {
    zh: '动态码缺失（请出示手机上的动态码）',
    en: 'dynamic code missing (show the phone screen)',
  },
  'code-unexpected': { zh: '静态通行码不应带动态码', en: 'a static pass carries no code' },
  'code-wrong': { zh: '动态码错误或已过时（截图无效）', en: 'dynamic code wrong or stale (screenshot?)' },
  'dynamic-unavailable': { zh: '本网关没有动态码密钥', en: 'this gateway holds no dynamic key' },
  'holder-mismatch': { zh: '持有人与登记不符', en: 'holder differs from the registry' },
  'trust-unavailable': { zh: '信任文件不可用', en: 'key ring or revocation list unusable' },
};

const KIND_LABELS: Readonly<Record<PassBody['kind'], string>> = {
  household: '住户 household',
  visitor: '访客 visitor',
  staff: '工作人员 staff',
};

/** Lines describing a verdict; nothing in them names a person. */
export function describeVerdict(verdict: PassVerdict, timeZone: string): string[] {
  const lines: string[] = [];
  if (verdict.ok) lines.push('有效 VALID');
  else {
    const m = FAULT_MESSAGES[verdict.fault];
    lines.push(`无效 INVALID: ${m.zh} / ${m.en} (${verdict.fault})`);
    if (verdict.detail !== undefined) lines.push(`  detail: ${verdict.detail}`);
  }
  const body = verdict.body;
  if (body === undefined) return lines;
  lines.push(
    `  pass:     ${body.passId}`,
    `  kind:     ${KIND_LABELS[body.kind]}${body.dynamic ? ', 动态 dynamic' : ', 静态 static'}`,
    `  valid:    ${formatLocal(body.validFrom * 1000, timeZone)} → ${formatLocal(body.validUntil * 1000, timeZone)}`,
    `  key:      ${body.keyId}`,
    `  holder:   ${body.holder} (pseudonym)`,
  );
  if (body.idBinding !== undefined) lines.push('  ID card:  bound (the gate may ask for the card)');
  if (verdict.ok && verdict.step !== undefined) lines.push(`  step:     ${verdict.step}`);
  return lines;
}

import { type RandomSource, randomInt } from '../shared/random.js';

/**
 * Made-up Chinese names for the simulated community: a common surname and one or two given-name
 * characters, so the dashboard's masking (王*) and the ID-card reader's text block have
 * something realistic to show. Combinations are drawn, not taken from anyone.
 */
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高';
const GIVEN_FEMALE = '芳娜敏静丽秀英华玉兰红霞燕萍洁琳雪梅';
const GIVEN_MALE = '伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌';

export function syntheticName(random: RandomSource, sexCode: '1' | '2'): string {
  const given = sexCode === '1' ? GIVEN_MALE : GIVEN_FEMALE;
  const pick = (chars: string) => chars[randomInt(random, 0, chars.length - 1)] ?? chars[0];
  const length = random() < 0.6 ? 2 : 1;
  let name = pick(SURNAMES) ?? '王';
  for (let i = 0; i < length; i++) name += pick(given);
  return name;
}
